#pragma once

#include <cstdint>

#include "backup/backup_catalog.h"
#include "retention/backup_inventory.h"
#include "retention/delete_plan.h"

namespace walnut::retention {

// What a delete removed (or, in a dry run, would remove).
struct DeleteReport {
  uint64_t backups = 0;  // complete backups
  uint64_t folders = 0;  // sentinel-less leftovers
  uint64_t temporaries = 0;  // temporary files of killed uploads
  uint64_t objects = 0;  // every object, WAL included
  uint64_t wal_objects = 0;
  uint64_t restored = 0;  // backups put back because something appeared that needs them
};

// Carries out `plan` against the storage of `catalog`; with `confirm` false, only lists and counts
// (a dry run, which changes nothing). The order makes an interrupted run safe:
//   1. the doomed backups' sentinels, deepest first, so a listed delta never lacks its base;
//   2. a fresh listing: a backup that finished meanwhile (a concurrent backup-push) and depends on
//      a doomed one, or a doomed one marked permanent meanwhile, gets its sentinels put back;
//   3. the doomed backups' data, the leftover folders and stale temporary files;
//   4. WAL, oldest first, streamed in batches (memory stays flat with millions of segments).
// Logs what it does at INFO; each object at DEBUG.
DeleteReport ExecuteDelete(const BackupCatalog& catalog, const BackupInventory& inventory,
                           const DeletePlan& plan, bool confirm, uint64_t segment_size);

}  // namespace walnut::retention
