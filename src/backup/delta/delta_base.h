#pragma once

#include <optional>
#include <string>

#include "backup/backup_catalog.h"
#include "backup/backup_metadata.h"
#include "postgres/lsn.h"

namespace walnut {

// What backup-push was asked about deltas.
struct DeltaRequest {
  int max_steps = 0;              // WALG_DELTA_MAX_STEPS (0: always full)
  bool from_latest_full = false;  // WALG_DELTA_ORIGIN=LATEST_FULL
  std::string from_name;          // --delta-from-name / WALG_DELTA_FROM_NAME
  std::string from_user_data;     // --delta-from-user-data / WALG_DELTA_FROM_USER_DATA
  bool full = false;              // -f / --full
  bool permanent = false;         // -p / --permanent
};

// The backup a delta is taken against, and the new delta's chain fields.
struct DeltaBase {
  std::string name;         // DeltaFrom
  BackupSentinel sentinel;  // the base's; its LSN is the new delta's DeltaLSN
  std::string full_name;    // DeltaFullName: the full backup at the chain's root
  int count = 1;            // DeltaCount of the new delta
};

// Picks the base as WAL-G's delta configurator
// (internal/databases/postgres/delta_backup_configurator.go): none (a full backup) when deltas are
// off or --full is given, when there is no backup yet, when the chain would exceed max_steps, when
// the base has no LSN or its sentinel cannot be read, or when it is permanent and the new backup is
// not (unless the origin is LATEST_FULL). Logs why a full backup is taken. Throws kNotFound for a
// --delta-from-name that does not exist.
std::optional<DeltaBase> ChooseDeltaBase(const BackupCatalog& catalog, const DeltaRequest& request);

// Once the new backup has started: throws kInvalidArgument with WAL-G's messages when the base
// finished after `start_lsn` ("Finish LSN of backup ... greater than current LSN") or is of
// another database system.
void CheckDeltaBase(const DeltaBase& base, pg::Lsn start_lsn,
                    std::optional<uint64_t> system_identifier);

// For a permanent delta: marks the base and each backup it depends on permanent in their
// metadata.json (WAL-G), so that delete never removes what a permanent backup needs. The
// chain walk is backup-mark's (backup/backup_mark.h MarkBackup).
void MarkAncestorsPermanent(const BackupCatalog& catalog, const DeltaBase& base);

}  // namespace walnut
