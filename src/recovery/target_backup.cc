#include "recovery/target_backup.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"
#include "common/logging.h"

namespace walnut::recovery {
namespace {

using Kind = RecoveryRequest::Kind;

[[noreturn]] void Refuse(const std::string& message) {
  throw Error(ErrorCode::kFailedPrecondition, message);
}

std::string TargetText(const RecoveryRequest& request) {
  return fmt::format("--target-{} {}", KindName(request.kind), request.value);
}

BackupPoint PointOf(const BackupCatalog& catalog, const BackupListEntry& entry) {
  BackupSentinel sentinel = catalog.LoadSentinel(entry.name);
  BackupPoint point;
  point.name = entry.name;
  point.finish_time = sentinel.finish_time != kGoZeroTime ? sentinel.finish_time : entry.modified;
  point.finish_lsn = sentinel.finish_lsn;
  point.pg_version = sentinel.pg_version;
  if (sentinel.timeline) {
    point.timeline = *sentinel.timeline;
  } else if (auto segment = pg::ParseWalFileName(entry.wal_file_name)) {
    point.timeline = segment->timeline;
  }
  return point;
}

}  // namespace

const BackupPoint& ChooseBackup(const std::vector<BackupPoint>& backups,
                                const RecoveryRequest& request) {
  if (backups.empty()) Refuse("no backups found: nothing to recover from");
  const BackupPoint* best = nullptr;
  for (const BackupPoint& backup : backups) {
    if (request.kind == Kind::kTime) {
      if (backup.finish_time <= *request.time &&
          (best == nullptr || backup.finish_time >= best->finish_time)) {
        best = &backup;
      }
    } else if (request.kind == Kind::kLsn) {
      if (backup.finish_lsn <= *request.lsn &&
          (best == nullptr || backup.finish_lsn >= best->finish_lsn)) {
        best = &backup;
      }
    } else {
      best = &backup;
    }
  }
  if (best != nullptr) return *best;
  // Nothing ends before the target: name the backup that ends first.
  const BackupPoint* first = &backups.front();
  for (const BackupPoint& backup : backups) {
    bool earlier = request.kind == Kind::kTime ? backup.finish_time < first->finish_time
                                               : backup.finish_lsn < first->finish_lsn;
    if (earlier) first = &backup;
  }
  Refuse(fmt::format(
      "{} is before the end of the oldest backup {} ({}): no backup can recover to it",
      TargetText(request), first->name,
      request.kind == Kind::kTime ? "finished at " + FormatRfc3339Nano(first->finish_time)
                                  : "ends at " + pg::FormatLsn(first->finish_lsn)));
}

void CheckBackupFitsTarget(const BackupPoint& backup, const RecoveryRequest& request) {
  if (backup.pg_version != 0 && backup.pg_version < 120000) {
    Refuse(fmt::format(
        "backup {} is of PostgreSQL {}: backup-fetch writes recovery settings for PostgreSQL 12 "
        "and later only; restore it without recovery flags and write recovery.conf",
        backup.name, backup.pg_version / 10000));
  }
  if (request.kind == Kind::kTime && *request.time < backup.finish_time) {
    Refuse(
        fmt::format("{} is before the end of backup {} (finished at {}): choose an older "
                    "backup, or LATEST to pick one",
                    TargetText(request), backup.name, FormatRfc3339Nano(backup.finish_time)));
  }
  if (request.kind == Kind::kLsn && *request.lsn < backup.finish_lsn) {
    Refuse(fmt::format(
        "{} is before the end of backup {} (at {}): choose an older backup, or LATEST to pick one",
        TargetText(request), backup.name, pg::FormatLsn(backup.finish_lsn)));
  }
}

ArchivedWal ListArchivedWal(const Folder& wal_folder, uint64_t segment_size) {
  ArchivedWal wal{.catalog = wal::WalCatalog(segment_size), .newest_segment_time = {}};
  wal_folder.List("", ListOptions{.recursive = false}, [&](const ObjectInfo& info) {
    if (info.is_prefix) return;
    wal.catalog.Add(info.key);
    std::string_view name = wal::StripCompressionExtension(info.key);
    if (pg::ClassifyWalFileName(name) != pg::WalFileKind::kSegment) return;
    auto segment = pg::ParseWalFileName(name, segment_size);
    if (!segment) return;
    Timestamp mtime = std::chrono::time_point_cast<std::chrono::nanoseconds>(info.mtime);
    Timestamp& newest = wal.newest_segment_time[segment->timeline];
    newest = std::max(newest, mtime);
  });
  return wal;
}

void CheckWalReachesTarget(const BackupPoint& backup, const RecoveryRequest& request,
                           const ArchivedWal& wal) {
  const uint64_t segment_size = wal.catalog.segment_size();
  if (backup.finish_lsn != 0) {
    pg::WalSegment end{backup.timeline, pg::LsnToSegment(backup.finish_lsn - 1, segment_size)};
    if (!wal.catalog.Contains(end)) {
      Refuse(
          fmt::format("backup {} needs WAL segment {}, which is not archived: it cannot "
                      "become consistent",
                      backup.name, pg::WalFileName(end, segment_size)));
    }
  }
  // The timelines recovery may follow from the backup's.
  std::vector<pg::TimelineId> timelines;
  for (pg::TimelineId tl : wal.catalog.Timelines()) {
    if (tl < backup.timeline) continue;
    if (!request.timeline.empty() && request.timeline != "latest") {
      pg::TimelineId wanted = request.timeline == "current"
                                  ? backup.timeline
                                  : static_cast<pg::TimelineId>(std::stoul(request.timeline));
      if (tl != wanted) continue;
    }
    timelines.push_back(tl);
  }
  if (request.kind == Kind::kLsn) {
    pg::SegmentNo segno = pg::LsnToSegment(*request.lsn, segment_size);
    bool archived = std::any_of(timelines.begin(), timelines.end(), [&](pg::TimelineId tl) {
      return wal.catalog.Contains({tl, segno});
    });
    if (!archived) {
      Refuse(fmt::format(
          "{} is past the archived WAL: segment {} is not archived on timeline {}{}; archive it "
          "(pg_switch_wal()) or give an earlier LSN",
          TargetText(request), pg::WalFileName({backup.timeline, segno}, segment_size),
          backup.timeline, timelines.size() > 1 ? " or later" : ""));
    }
  }
  if (request.kind == Kind::kTime) {
    Timestamp newest{};
    for (pg::TimelineId tl : timelines) {
      auto it = wal.newest_segment_time.find(tl);
      if (it != wal.newest_segment_time.end()) newest = std::max(newest, it->second);
    }
    if (*request.time > newest) {
      Refuse(fmt::format(
          "{} is past the archived WAL: the newest segment from timeline {} on was stored at {}; "
          "archive the WAL up to the target (pg_switch_wal()) or give an earlier time",
          TargetText(request), backup.timeline,
          newest == Timestamp{} ? std::string("(none)") : FormatRfc3339Nano(newest)));
    }
  }
}

BackupPoint ResolveTargetBackup(const BackupCatalog& catalog, std::string_view name_or_latest,
                                const RecoveryRequest& request, uint64_t segment_size) {
  BackupPoint chosen;
  if (name_or_latest == "LATEST" && (request.kind == Kind::kTime || request.kind == Kind::kLsn)) {
    std::vector<BackupPoint> backups;
    for (const BackupListEntry& entry : catalog.List()) backups.push_back(PointOf(catalog, entry));
    chosen = ChooseBackup(backups, request);
    spdlog::info("{}: restoring backup {} ({} at {}), the latest that ends before the target",
                 TargetText(request), chosen.name,
                 request.kind == Kind::kTime ? "finished" : "ends",
                 request.kind == Kind::kTime ? FormatRfc3339Nano(chosen.finish_time)
                                             : pg::FormatLsn(chosen.finish_lsn));
  } else {
    chosen = PointOf(catalog, catalog.Resolve(name_or_latest));
  }
  CheckBackupFitsTarget(chosen, request);
  CheckWalReachesTarget(chosen, request,
                        ListArchivedWal(catalog.root().Sub(wal::kWalFolder), segment_size));
  return chosen;
}

}  // namespace walnut::recovery
