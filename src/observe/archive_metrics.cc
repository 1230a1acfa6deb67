#include "observe/archive_metrics.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "backup/backup_catalog.h"
#include "common/rfc3339.h"
#include "common/error.h"
#include "metrics/families.h"
#include "pipeline/stored_document.h"
#include "postgres/pg_connection.h"
#include "postgres/wal_file_name.h"

namespace walnut::observe {
namespace {

using metrics::Exposition;
using metrics::Label;
// The families of metrics/families.h (kUp, kBackups, ..., AddSample).
using namespace metrics;  // NOLINT(google-build-using-namespace)

constexpr std::string_view kBackupsPrefix = "basebackups_005/";
constexpr std::string_view kWalPrefix = "wal_005/";
constexpr std::string_view kSentinelSuffix = "_backup_stop_sentinel.json";
constexpr size_t kMaxReportBytes = 1 << 20;

double UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::optional<double> OptionalDouble(std::string_view text) {
  if (text.empty()) return std::nullopt;
  try {
    return std::stod(std::string(text));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

struct SentinelRef {
  std::string name;
  std::chrono::system_clock::time_point mtime;
};

struct StorageListing {
  std::vector<SentinelRef> full;   // oldest first by mtime, then name
  std::vector<SentinelRef> delta;
  uint64_t backup_bytes = 0;
  uint64_t wal_bytes = 0;
  uint64_t other_bytes = 0;
  uint64_t wal_segments = 0;
  std::optional<pg::WalSegment> newest_segment;
  std::chrono::system_clock::time_point newest_segment_mtime{};
};

StorageListing ListStorage(const Folder& root, uint64_t segment_size) {
  StorageListing out;
  root.List("", ListOptions{.recursive = true}, [&](const ObjectInfo& info) {
    if (info.is_prefix) return;
    std::string_view key = info.key;
    if (key.starts_with(kBackupsPrefix)) {
      out.backup_bytes += info.size;
      std::string_view rest = key.substr(kBackupsPrefix.size());
      if (rest.find('/') == std::string_view::npos && rest.ends_with(kSentinelSuffix)) {
        std::string name(rest.substr(0, rest.size() - kSentinelSuffix.size()));
        const bool is_delta = name.find("_D_") != std::string::npos;
        (is_delta ? out.delta : out.full).push_back({std::move(name), info.mtime});
      }
      return;
    }
    if (key.starts_with(kWalPrefix)) {
      out.wal_bytes += info.size;
      std::string_view file = key.substr(kWalPrefix.size());
      if (file.find('/') != std::string_view::npos) return;
      // The name as pg_wal has it: without the compression extension, if any (an uncompressed
      // ".partial" is a partial segment, not a segment with an extension).
      std::string_view stem = file;
      pg::WalFileKind kind = pg::ClassifyWalFileName(stem);
      if (kind == pg::WalFileKind::kOther && stem.rfind('.') != std::string_view::npos) {
        stem = stem.substr(0, stem.rfind('.'));
        kind = pg::ClassifyWalFileName(stem);
      }
      if (kind != pg::WalFileKind::kSegment) return;
      auto segment = pg::ParseWalFileName(stem, segment_size);
      if (!segment) return;
      ++out.wal_segments;
      auto order = [](const pg::WalSegment& s) { return std::pair(s.segno, s.timeline); };
      if (!out.newest_segment || order(*segment) > order(*out.newest_segment)) {
        out.newest_segment = segment;
        out.newest_segment_mtime = info.mtime;
      }
      return;
    }
    out.other_bytes += info.size;
  });
  auto by_time = [](const SentinelRef& a, const SentinelRef& b) {
    return std::tie(a.mtime, a.name) < std::tie(b.mtime, b.name);
  };
  std::sort(out.full.begin(), out.full.end(), by_time);
  std::sort(out.delta.begin(), out.delta.end(), by_time);
  return out;
}

void AddBackupType(Exposition& out, const BackupCatalog& catalog, const std::string& storage,
                   const char* type, const std::vector<SentinelRef>& backups,
                   std::vector<std::string>& warnings) {
  std::vector<Label> labels{{"storage", storage}, {"type", type}};
  AddSample(out, kBackups, labels, static_cast<double>(backups.size()));
  if (backups.empty()) return;
  const std::string& newest = backups.back().name;
  try {
    BackupSentinel s = catalog.LoadSentinel(newest);
    AddSample(out, kBackupLastStart, labels, UnixSeconds(s.start_time));
    AddSample(out, kBackupLastFinish, labels, UnixSeconds(s.finish_time));
    AddSample(out, kBackupLastCompressed, labels, static_cast<double>(s.compressed_size));
    AddSample(out, kBackupLastUncompressed, labels, static_cast<double>(s.uncompressed_size));
    AddSample(out, kBackupLastDuration, labels,
              std::chrono::duration<double>(s.finish_time - s.start_time).count());
  } catch (const Error& e) {
    warnings.push_back(fmt::format("backup {}: {}", newest, e.what()));
  }
}

std::optional<double> TimeField(const nlohmann::json& doc, const char* field) {
  auto it = doc.find(field);
  if (it == doc.end() || !it->is_string()) return std::nullopt;
  auto t = ParseRfc3339(it->get<std::string>());
  if (!t) return std::nullopt;
  return UnixSeconds(*t);
}

std::optional<double> NumberField(const nlohmann::json& doc, const char* field) {
  auto it = doc.find(field);
  if (it == doc.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// The stored report `key` as JSON; nullopt when absent, or (with a warning) unreadable.
std::optional<nlohmann::json> ReadReport(const Folder& root, const char* key, const char* kind,
                                         std::vector<std::string>& warnings) {
  std::string text;
  try {
    text = GetDocument(root, key, kMaxReportBytes);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kNotFound) return std::nullopt;
    warnings.push_back(fmt::format("the {} report {} cannot be read: {}", kind, root.Key(key),
                                   e.what()));
    return std::nullopt;
  }
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || doc.value("kind", "") != kind ||
      !doc.contains("success") || !doc["success"].is_boolean() || !TimeField(doc, "started_at")) {
    warnings.push_back(fmt::format(
        "the {} report {} is not a {} report (JSON with \"kind\", \"success\", \"started_at\"); "
        "run walnut {} again to replace it",
        kind, root.Key(key), kind, kind));
    return std::nullopt;
  }
  return doc;
}

void AddDrill(Exposition& out, const nlohmann::json& doc, const std::string& storage) {
  std::vector<Label> labels{{"storage", storage}, {"source", "storage"}};
  const double started = *TimeField(doc, "started_at");
  const double finished = TimeField(doc, "finished_at").value_or(started);
  const bool success = doc["success"].get<bool>();
  AddSample(out, kDrillLastRun, labels, finished);
  AddSample(out, kDrillLastSuccess, labels, success ? 1 : 0);
  if (success) AddSample(out, kDrillLastSuccessTime, labels, finished);
  if (auto v = NumberField(doc, "rto_seconds")) AddSample(out, kDrillLastRto, labels, *v);
  if (auto v = NumberField(doc, "rpo_seconds")) AddSample(out, kDrillLastRpo, labels, *v);
  if (auto v = NumberField(doc, "backup_age_seconds")) {
    AddSample(out, kDrillLastBackupAge, labels, *v);
  }
  AddSample(out, kDrillLastDuration, labels, finished - started);
}

void AddVerify(Exposition& out, const nlohmann::json& doc, const std::string& storage) {
  std::vector<Label> labels{{"storage", storage}, {"source", "storage"}};
  const double started = *TimeField(doc, "started_at");
  AddSample(out, kVerifyLastRun, labels, TimeField(doc, "finished_at").value_or(started));
  AddSample(out, kVerifyLastSuccess, labels, doc["success"].get<bool>() ? 1 : 0);
  if (auto v = NumberField(doc, "backups_checked")) {
    AddSample(out, kVerifyLastBackupsChecked, labels, *v);
  }
  auto errors = doc.find("errors");
  AddSample(out, kVerifyLastErrors, labels,
            errors != doc.end() && errors->is_array() ? static_cast<double>(errors->size()) : 0);
}

}  // namespace

std::optional<ArchiverStatus> ProbeArchiver(int connect_timeout, std::string* why) {
  try {
    pg::PgConnection conn(fmt::format("connect_timeout={}", connect_timeout));
    pg::QueryResult r = conn.Query(
        "SELECT archived_count, failed_count, extract(epoch FROM last_archived_time), "
        "extract(epoch FROM last_failed_time), last_failed_wal, "
        "CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END "
        "FROM pg_stat_archiver");
    if (r.rows.size() != 1 || r.rows[0].size() != 6) {
      if (why) *why = "pg_stat_archiver gave no row";
      return std::nullopt;
    }
    const auto& row = r.rows[0];
    ArchiverStatus s;
    s.archived_count = std::stoull(row[0].value_or("0"));
    s.failed_count = std::stoull(row[1].value_or("0"));
    if (row[2]) s.last_archived_time = OptionalDouble(*row[2]);
    if (row[3]) s.last_failed_time = OptionalDouble(*row[3]);
    if (row[4]) s.last_failed_wal = *row[4];
    if (row[5]) s.current_lsn = pg::ParseLsn(*row[5]);
    return s;
  } catch (const std::exception& e) {
    if (why) *why = e.what();
    return std::nullopt;
  }
}

metrics::Exposition CollectArchiveMetrics(const Folder& root, const ArchiveMetricsOptions& options,
                                          std::vector<std::string>& warnings) {
  Exposition out;
  const std::string& storage = options.storage_label;
  std::optional<StorageListing> listing;
  try {
    listing = ListStorage(root, options.segment_size);
  } catch (const Error& e) {
    warnings.push_back(fmt::format("cannot list {}: {}", storage, e.what()));
  }
  AddSample(out, kUp, {{"storage", storage}}, listing ? 1 : 0);

  if (listing) {
    BackupCatalog catalog(root);
    AddBackupType(out, catalog, storage, "full", listing->full, warnings);
    AddBackupType(out, catalog, storage, "delta", listing->delta, warnings);
    // The oldest backup of all (a delta's chain starts at a full backup, which is older), and its
    // end: recovery cannot stop before a backup's consistency point. Whether the WAL from there
    // on is still stored is not checked here (walnut verify and wal-verify do).
    const SentinelRef* oldest = nullptr;
    for (const auto* list : {&listing->full, &listing->delta}) {
      if (!list->empty() && (!oldest || list->front().mtime < oldest->mtime)) {
        oldest = &list->front();
      }
    }
    if (oldest) {
      try {
        AddSample(out, kOldestRecoverable, {{"storage", storage}},
                  UnixSeconds(catalog.LoadSentinel(oldest->name).finish_time));
      } catch (const Error& e) {
        warnings.push_back(fmt::format("backup {}: {}", oldest->name, e.what()));
      }
    }
    if (listing->newest_segment) {
      AddSample(out, kWalNewestArchived, {{"storage", storage}},
                UnixSeconds(listing->newest_segment_mtime));
    }
    AddSample(out, kWalArchivedSegments, {{"storage", storage}},
              static_cast<double>(listing->wal_segments));
    AddSample(out, kStorageSize, {{"storage", storage}, {"kind", "backups"}},
              static_cast<double>(listing->backup_bytes));
    AddSample(out, kStorageSize, {{"storage", storage}, {"kind", "wal"}},
              static_cast<double>(listing->wal_bytes));
    AddSample(out, kStorageSize, {{"storage", storage}, {"kind", "other"}},
              static_cast<double>(listing->other_bytes));
  }

  if (options.archiver) {
    std::optional<ArchiverStatus> pg = options.archiver();
    AddSample(out, kPgUp, {{"storage", storage}}, pg ? 1 : 0);
    if (pg) {
      std::vector<Label> labels{{"storage", storage}};
      AddSample(out, kArchiverArchived, labels, static_cast<double>(pg->archived_count));
      AddSample(out, kArchiverFailed, labels, static_cast<double>(pg->failed_count));
      if (pg->last_archived_time) {
        AddSample(out, kArchiverLastArchived, labels, *pg->last_archived_time);
      }
      if (pg->last_failed_time) AddSample(out, kArchiverLastFailed, labels, *pg->last_failed_time);
      if (pg->current_lsn && listing && listing->newest_segment) {
        const pg::Lsn archived_end =
            pg::SegmentStartLsn(listing->newest_segment->segno + 1, options.segment_size);
        const double lag =
            *pg->current_lsn > archived_end ? static_cast<double>(*pg->current_lsn - archived_end)
                                            : 0.0;
        AddSample(out, kArchiveLag, labels, lag);
      }
    }
  }

  if (listing) {
    if (auto drill = ReadReport(root, kDrillReportKey, "drill", warnings)) {
      AddDrill(out, *drill, storage);
    }
    if (auto verify = ReadReport(root, kVerifyReportKey, "verify", warnings)) {
      AddVerify(out, *verify, storage);
    }
  }
  return out;
}

}  // namespace walnut::observe
