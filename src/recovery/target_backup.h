#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "backup/backup_catalog.h"
#include "common/rfc3339.h"
#include "postgres/lsn.h"
#include "postgres/wal_file_name.h"
#include "recovery/recovery_target.h"
#include "wal/wal_catalog.h"

namespace walnut::recovery {

// What the choice of a backup for a recovery target needs to know of one backup.
struct BackupPoint {
  std::string name;
  Timestamp finish_time{};  // the sentinel's FinishTime, else its LastModified
  pg::Lsn finish_lsn = 0;
  pg::TimelineId timeline = 1;
  int pg_version = 0;  // server_version_num; 0 when unknown
};

// For LATEST: with a time target, the backup that finished last at or before the target; with an
// LSN target, the one whose end is the greatest at or before the target; otherwise the last one.
// `backups` are in backup-list's order (oldest first). Throws kFailedPrecondition with one line
// when no backup qualifies (the target is before the end of the oldest backup) or there are none.
const BackupPoint& ChooseBackup(const std::vector<BackupPoint>& backups,
                                const RecoveryRequest& request);

// Throws kFailedPrecondition with one line when `backup` cannot recover to the request: a time or
// LSN target before the backup's end (PostgreSQL would stop before it is consistent), or a backup
// of PostgreSQL 11 or older (recovery.conf, not written by backup-fetch).
void CheckBackupFitsTarget(const BackupPoint& backup, const RecoveryRequest& request);

// What wal_005/ holds: the catalogue and, per timeline, the newest LastModified of its segments.
struct ArchivedWal {
  wal::WalCatalog catalog;
  std::map<pg::TimelineId, Timestamp> newest_segment_time;
};
ArchivedWal ListArchivedWal(const Folder& wal_folder, uint64_t segment_size);

// Throws kFailedPrecondition with one line when the archive cannot take `backup` to the target:
// the segment holding the backup's end is not archived on its timeline; an LSN target whose
// segment is archived on no timeline from the backup's on (only on the one asked, for a numeric
// --target-timeline); a time target later than the newest segment's storage time on those
// timelines (best effort: what was archived after the target was stored after it).
void CheckWalReachesTarget(const BackupPoint& backup, const RecoveryRequest& request,
                           const ArchivedWal& wal);

// The backup backup-fetch restores for `request`: `name_or_latest` resolved (for LATEST with a
// time or LSN target, chosen by ChooseBackup, which says on stderr which one and why), checked by
// CheckBackupFitsTarget and CheckWalReachesTarget. Reads the sentinels and lists wal_005/ once;
// writes nothing.
BackupPoint ResolveTargetBackup(const BackupCatalog& catalog, std::string_view name_or_latest,
                                const RecoveryRequest& request, uint64_t segment_size);

}  // namespace walnut::recovery
