#include "cli/wal_verify_command.h"

#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/wal_backup_refs.h"
#include "common/error.h"
#include "common/logging.h"
#include "postgres/pg_connection.h"
#include "postgres/server_queries.h"
#include "wal/wal_verify.h"

namespace walnut {
namespace {

struct WalVerifyArgs {
  std::vector<std::string> checks;
  bool json = false;
  std::optional<uint32_t> timeline;
  std::optional<std::string> lsn;
  std::optional<std::string> backup_name;
};

pg::WalSegment CurrentSegment(const WalVerifyArgs& args, uint64_t segment_size) {
  if (!args.lsn) {
    pg::PgConnection connection;
    return pg::QueryCurrentWalSegment(connection, segment_size);
  }
  pg::Lsn lsn = pg::ParseLsn(*args.lsn);
  if (lsn == 0) throw Error(ErrorCode::kInvalidArgument, "--lsn must be above 0/0");
  if (*args.timeline == 0) throw Error(ErrorCode::kInvalidArgument, "--timeline must be 1 or more");
  return pg::WalSegment{*args.timeline, pg::LsnToSegment(lsn - 1, segment_size)};
}

int VerifyWal(CommandContext& context, const WalVerifyArgs& args) {
  bool integrity = false;
  bool timeline = false;
  for (const std::string& check : args.checks) {
    if (check == "integrity") {
      integrity = true;
    } else if (check == "timeline") {
      timeline = true;
    } else {
      throw Error(
          ErrorCode::kInvalidArgument,
          fmt::format("invalid check specified: {} (available: integrity, timeline)", check));
    }
  }
  if (args.lsn.has_value() != args.timeline.has_value()) {
    throw Error(ErrorCode::kInvalidArgument,
                args.lsn ? "\"--lsn\" flag works only in conjunction with the \"--timeline\" flag"
                         : "\"--timeline\" flag works only in conjunction with the \"--lsn\" flag");
  }
  const Settings& settings = context.settings();
  const uint64_t segment_size = settings.wal_segment_size;
  const pg::WalSegment current = CurrentSegment(args, segment_size);
  spdlog::info("Current WAL segment: {}", pg::WalFileName(current, segment_size));

  Folder wal_folder = context.root().Sub(wal::kWalFolder);
  wal::WalCatalog catalog = wal::WalCatalog::List(wal_folder, segment_size);
  wal::WalVerifyReport report;
  if (integrity) {
    std::vector<wal::TimelineHistoryEntry> history =
        wal::ReadTimelineHistory(wal_folder, catalog, current.timeline, context.pipeline())
            .value_or(std::vector<wal::TimelineHistoryEntry>{});
    wal::StopSegment stop = wal::FindStopSegment(LoadWalBackupRefs(context), current.timeline,
                                                 history, args.backup_name, segment_size);
    wal::IntegrityScan scan{
        .current = current,
        .stop = stop.segno,
        .delayed_window = settings.integrity_max_delayed_wals,
        .uploading_window = static_cast<uint64_t>(settings.upload_concurrency),
    };
    report.integrity = wal::CheckIntegrity(catalog, history, scan);
  }
  if (timeline) report.timeline = wal::CheckTimeline(catalog, current.timeline);

  std::string out = args.json ? wal::RenderWalVerifyJson(report, segment_size)
                              : wal::RenderWalVerifyPlain(report, segment_size);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

void AddWalVerifyCommand(CLI::App& app, CommandContext& context, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand(
      "wal-verify", "Verify WAL storage folder. Available checks: integrity, timeline");
  auto args = std::make_shared<WalVerifyArgs>();
  cmd->add_option("checks", args->checks, "Checks to run: integrity, timeline")->required();
  cmd->add_flag("--json", args->json, "Show output in JSON format");
  cmd->add_option("--timeline", args->timeline,
                  "Verify WAL for the specified timeline (together with --lsn)");
  cmd->add_option("--lsn", args->lsn,
                  "Verify WAL for the specified LSN (together with --timeline)");
  cmd->add_option("--backup-name", args->backup_name, "Verify WAL starting from this backup");
  cmd->callback([&, args] { action = [&, args] { return VerifyWal(context, *args); }; });
}

}  // namespace walnut
