#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/rfc3339.h"
#include "retention/backup_inventory.h"
#include "retention/wal_retention.h"

namespace walnut::retention {

// What `walnut delete` was asked (WAL-G's internal/delete_handler.go; docs/retention.md).
struct DeleteRequest {
  enum class Mode { kRetain, kBefore, kEverything, kTarget, kGarbage };
  // retain FULL|FIND_FULL, before FIND_FULL, target FIND_FULL.
  enum class Modifier { kNone, kFull, kFindFull };

  Mode mode = Mode::kRetain;
  Modifier modifier = Modifier::kNone;
  int count = 0;                      // retain N
  std::string name;                   // before NAME, target NAME (or the --target-user-data match)
  std::optional<Timestamp> time;      // before TIME
  std::string after_name;             // retain --after NAME
  std::optional<Timestamp> after;     // retain --after TIME
  bool force = false;                 // everything FORCE
  bool archives = true;               // garbage: WAL (ARCHIVES or both)
  bool backups = true;                // garbage: folders without a sentinel (BACKUPS or both)
  bool without_backup_check = false;  // garbage ARCHIVES with no non-permanent backup
};

// A complete backup to delete, with how many bases it has (its sentinel goes before theirs).
struct DoomedBackup {
  std::string name;
  int depth = 0;  // 0 for a full backup, 1 for its first delta, ...
};

// What a delete removes. Nothing in it has been touched yet.
struct DeletePlan {
  // Complete backups, deepest first: deleting their sentinels in this order never leaves a listed
  // delta whose base is gone, even when the run is interrupted.
  std::vector<DoomedBackup> backups;
  std::vector<std::string> folders;  // sentinel-less folders (leftovers) to delete
  // garbage: temporary files of killed uploads (wal_005/'s with ARCHIVES, the others with BACKUPS)
  std::vector<StaleTemporaryFile> temporaries;
  WalRetention wal;
  // delete everything: also the archive's cluster identity record (wal/archive_identity.h), so
  // that a new cluster may archive into the emptied storage.
  bool clear_archive_identity = false;
  // Why there is nothing to delete, when a rule found no target (retain with too few backups).
  std::string nothing_reason;
  // What was kept that the rule alone would have deleted, and why: for the log.
  std::vector<std::string> notes;

  bool Empty() const {
    return backups.empty() && folders.empty() && temporaries.empty() && !wal.DeletesAnything() &&
           !clear_archive_identity;
  }
};

// The WAL a kept backup needs: all of it from its start on (on its timeline and later ones), for
// a backup at or after the target; from its start to its end (restorable to its consistency
// point, as WAL-G keeps permanent backups) for one kept for its own sake or as a base.
WalRange WalFromStart(const StoredBackup& backup);
WalRange WalToEnd(const StoredBackup& backup);

// Decides what goes. Throws kInvalidArgument for a request the backups cannot satisfy as asked (a
// delta target without FIND_FULL, with WAL-G's message), kFailedPrecondition when permanence
// forbids it (target of a permanent backup, everything without FORCE), kNotFound for an unknown
// name. Never plans to delete: a permanent backup (unless everything FORCE), a backup that a
// kept one depends on, a pending folder or what it needs, or WAL a kept backup needs.
DeletePlan PlanDelete(const BackupInventory& inventory, const DeleteRequest& request);

}  // namespace walnut::retention
