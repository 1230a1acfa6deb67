#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backup/backup_catalog.h"
#include "common/rfc3339.h"
#include "postgres/wal_file_name.h"
#include "retention/stale_temporaries.h"

namespace walnut::retention {

// A complete backup (one with a sentinel), as delete sees it.
struct StoredBackup {
  std::string name;
  pg::WalSegment start;          // from the name: the backup's first WAL segment
  pg::SegmentNo finish_segno{};  // the segment of the finish LSN (start's when unknown)
  Timestamp time{};              // the ordering key (see BackupInventory)
  std::string delta_from;        // the immediate base; "" for a full backup
  bool permanent = false;        // metadata.json's is_permanent (the sentinel's without one)

  bool IsFull() const { return delta_from.empty(); }
};

// A folder basebackups_005/<name>/ without a sentinel: a backup being pushed, or what a failed push
// or an interrupted delete left behind. Only folders named like backups are taken.
struct UnlistedFolder {
  std::string name;
  pg::WalSegment start;    // from the name
  std::string delta_base;  // for base_<X>_D_<Y>: the backup (or folder) named base_<Y>[_D_...]
  Timestamp newest{};      // the newest object's LastModified
  // Its newest object is younger than WALNUT_DELETE_PENDING_AGE: it may be being pushed, and
  // nothing it needs (its objects, its base chain, the WAL from its start on) may be deleted.
  bool pending = false;
};

// What basebackups_005/ holds, read once: the complete backups oldest first and the unlisted
// folders. Small: a few hundred bytes per backup, whatever the database size.
struct BackupInventory {
  // Ordered by start time (metadata.json start_time) when every backup has one, else by the
  // sentinels' LastModified. Either way chronological: WAL-G's name order puts older timelines
  // after newer ones after a timeline reset (WAL-G #636).
  std::vector<StoredBackup> backups;
  std::vector<UnlistedFolder> unlisted;
  // For delete garbage only (FindStaleTemporaryFiles): temporary files of killed uploads.
  std::vector<StaleTemporaryFile> stale_temporaries;

  const StoredBackup* Find(std::string_view name) const;
};

// Lists basebackups_005/ recursively and reads each complete backup's sentinel and metadata.json.
// Throws kCorruption naming the object when a sentinel or metadata does not parse: delete must
// not guess at what it cannot read.
BackupInventory LoadBackupInventory(const BackupCatalog& catalog, uint64_t segment_size,
                                    Timestamp now, std::chrono::milliseconds pending_age);

}  // namespace walnut::retention
