#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "backup/backup_catalog.h"
#include "retention/backup_inventory.h"
#include "retention/delete_plan.h"

namespace walnut::retention {

// What a delete removed (or, in a dry run, would remove).
struct DeleteReport {
  uint64_t backups = 0;      // complete backups
  uint64_t folders = 0;      // sentinel-less leftovers
  uint64_t temporaries = 0;  // temporary files of killed uploads
  uint64_t objects = 0;      // every object, WAL included
  uint64_t wal_objects = 0;
  uint64_t restored = 0;  // backups put back because something appeared that needs them
  // Objects the storage refused to delete because they are under retention (S3 Object Lock):
  // not counted in `objects`, still there, and the latest end of their retention when known.
  uint64_t locked = 0;
  std::optional<std::chrono::system_clock::time_point> locked_until;
  uint64_t locked_backups = 0;  // doomed backups kept whole because their sentinel is locked
};

// Carries out `plan` against the storage of `catalog`; with `confirm` false, only lists and counts
// (a dry run, which changes nothing). The order makes an interrupted run safe:
//   1. the doomed backups' sentinels, deepest first, so a listed delta never lacks its base;
//   2. a fresh listing: a backup that finished meanwhile (a concurrent backup-push) and depends on
//      a doomed one, or a doomed one marked permanent meanwhile, gets its sentinels put back;
//   3. the doomed backups' data, the leftover folders and stale temporary files;
//   4. WAL, oldest first, streamed in batches (memory stays flat with millions of segments).
// Objects under retention (the storage throws ObjectsLockedError) stay, are counted in the report
// and never in `objects`; a doomed backup whose sentinel is locked is kept whole (with its bases
// and its WAL), as one that became needed in step 2.
// Logs what it does at INFO; each object at DEBUG.
DeleteReport ExecuteDelete(const BackupCatalog& catalog, const BackupInventory& inventory,
                           const DeletePlan& plan, bool confirm, uint64_t segment_size);

}  // namespace walnut::retention
