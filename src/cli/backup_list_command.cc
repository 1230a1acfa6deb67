#include "cli/backup_list_command.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "backup/backup_catalog.h"
#include "backup/backup_metadata.h"
#include "backup/backup_name.h"
#include "cli/text_table.h"
#include "postgres/lsn.h"

namespace walnut {
namespace {

using Json = nlohmann::ordered_json;

struct BackupListFlags {
  bool pretty = false;
  bool json = false;
  bool detail = false;
};

// One output row: WAL-G's BackupTime, plus ExtendedMetadataDto with --detail.
struct Row {
  BackupListEntry entry;
  ExtendedMetadata metadata;
  bool has_metadata = false;
};

// internal.FormatTime / PrettyFormatTime: RFC3339 / RFC850 in UTC, "-" for Go's zero time.
std::string PlainTime(Timestamp t) { return t == kGoZeroTime ? "-" : FormatRfc3339(t); }

std::string PrettyTime(Timestamp t) {
  if (t == kGoZeroTime) return "-";
  const std::time_t secs =
      std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char out[64];
  std::strftime(out, sizeof(out), "%A, %d-%b-%y %H:%M:%S UTC",
                &tm);  // "Monday, 02-Jan-06 15:04:05 MST"
  return out;
}

// The metadata of each backup: metadata.json, else the v2 sentinel's copy of it (WAL-G fails
// instead), else nothing (a WAL-E/v1 backup: zero values, as WAL-G's empty ExtendedMetadataDto).
void LoadDetails(const BackupCatalog& catalog, std::vector<Row>& rows) {
  for (Row& row : rows) {
    if (auto metadata = catalog.TryLoadMetadata(row.entry.name)) {
      row.metadata = *metadata;
      row.has_metadata = true;
      continue;
    }
    BackupSentinel sentinel = catalog.LoadSentinel(row.entry.name);
    if (sentinel.version >= 2) {
      row.metadata = MetadataFromSentinel(sentinel);
      row.has_metadata = true;
    }
  }
  // WAL-G orders by start time when every backup has one, else by the sentinels' LastModified.
  const bool by_start = std::all_of(rows.begin(), rows.end(), [](const Row& row) {
    return row.has_metadata && row.metadata.start_time != kGoZeroTime;
  });
  if (by_start) {
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
      return a.metadata.start_time < b.metadata.start_time;
    });
  }
}

Json RowJson(const Row& row, bool detail) {
  Json out = Json::object();
  out["backup_name"] = row.entry.name;
  out["time"] = FormatRfc3339Nano(row.entry.modified);
  out["wal_file_name"] = row.entry.wal_file_name;
  out["storage_name"] = row.entry.storage_name;
  if (!detail) return out;
  // metadata.json's fields as WAL-G writes them, minus "timeline", which its listing lacks.
  Json metadata = ExtendedMetadataJson(row.metadata);
  metadata.erase("timeline");
  if (metadata.contains("user_data")) {
    // Go decodes user data into interface{} and encodes it again: object keys come out sorted.
    metadata["user_data"] = nlohmann::json::parse(row.metadata.user_data);
  }
  for (auto& [key, value] : metadata.items()) out[key] = std::move(value);
  return out;
}

std::vector<std::string> Header(bool detail, bool pretty) {
  std::vector<std::string> names =
      pretty ? std::vector<std::string>{"Backup name", "Modified", "WAL file name", "Storage name"}
             : std::vector<std::string>{"backup_name", "modified", "wal_file_name", "storage_name"};
  if (detail) {
    const std::vector<std::string> more =
        pretty
            ? std::vector<std::string>{"Start time", "Finish time", "Hostname",   "Datadir",
                                       "PG version", "Start LSN",   "Finish LSN", "Permanent"}
            : std::vector<std::string>{"start_time", "finish_time", "hostname",   "data_dir",
                                       "pg_version", "start_lsn",   "finish_lsn", "is_permanent"};
    names.insert(names.end(), more.begin(), more.end());
  }
  return names;
}

std::vector<std::string> Cells(const Row& row, bool detail, bool pretty) {
  auto time = pretty ? PrettyTime : PlainTime;
  std::vector<std::string> cells{row.entry.name, time(row.entry.modified), row.entry.wal_file_name,
                                 row.entry.storage_name};
  if (detail) {
    const ExtendedMetadata& m = row.metadata;
    const std::vector<std::string> more{time(m.start_time),
                                        time(m.finish_time),
                                        m.hostname,
                                        m.data_dir,
                                        std::to_string(m.pg_version),
                                        pg::FormatLsn(m.start_lsn),
                                        pg::FormatLsn(m.finish_lsn),
                                        m.is_permanent ? "true" : "false"};
    cells.insert(cells.end(), more.begin(), more.end());
  }
  return cells;
}

std::string Render(const std::vector<Row>& rows, const BackupListFlags& options) {
  if (options.json) {
    Json array = Json::array();
    for (const Row& row : rows) array.push_back(RowJson(row, options.detail));
    // Go's json.Encoder: compact, or indented by four spaces with --pretty; a final newline.
    return array.dump(options.pretty ? 4 : -1, ' ', false, Json::error_handler_t::replace) + "\n";
  }
  std::vector<std::vector<std::string>> table;
  if (!options.pretty) table.push_back(Header(options.detail, false));
  for (const Row& row : rows) table.push_back(Cells(row, options.detail, options.pretty));
  return options.pretty ? AsciiTable(Header(options.detail, true), table) : TabbedTable(table);
}

int RunBackupList(CommandContext& context, const BackupListFlags& options) {
  BackupCatalog catalog(context.root());
  std::vector<Row> rows;
  const Folder& root = context.root();
  for (BackupListEntry& entry : catalog.List()) {
    // With failover storages: where the backup's sentinel is, as WAL-G's storage_name column.
    std::string holder = root.storage().HolderOf(root.Key(BackupSentinelKey(entry.name)));
    if (!holder.empty()) entry.storage_name = std::move(holder);
    rows.push_back(Row{std::move(entry), {}, false});
  }
  if (rows.empty()) {
    spdlog::info("No backups found");
    if (options.json) std::fputs("[]\n", stdout);
    return 0;
  }
  if (options.detail) LoadDetails(catalog, rows);
  const std::string out = Render(rows, options);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

void AddBackupListCommand(CLI::App& app, CommandContext& context, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand("backup-list", "Prints the backups in storage, oldest first");
  AddTargetStorageOption(*cmd, context);
  auto options = std::make_shared<BackupListFlags>();
  cmd->add_flag("--pretty", options->pretty, "Prints an ASCII table (indented JSON with --json)");
  cmd->add_flag("--json", options->json, "Prints a JSON array");
  cmd->add_flag("--detail", options->detail,
                "Adds each backup's metadata (start and finish, LSNs, permanence)");
  cmd->callback([&context, &action, options] {
    action = [&context, options]() -> int { return RunBackupList(context, *options); };
  });
}

}  // namespace walnut
