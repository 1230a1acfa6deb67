#pragma once

#include <string>

#include "backup/backup_push.h"
#include "backup/backup_session.h"
#include "storage/folder.h"

namespace walnut {

// backup-push's guard against a backup whose WAL never reaches the archive: such a backup looks
// complete but cannot be restored.

// With options.archive_check, throws kFailedPrecondition with the fix when the server's settings
// show that it archives nothing (pg::ArchivingGap): at once, before the backup starts, instead of
// after WaitForArchivedWal's whole timeout.
void CheckServerArchives(BackupSession& session, const BackupPushOptions& options);

// Waits until the WAL segment named `last` (the last one backup `backup_name` needs) is in
// `root`/wal_005/ under any compression extension (`preferred` probed first), polling with
// back-off up to options.archive_poll_interval. Throws kNotFound after
// options.archive_wait_timeout with what to check, kCancelled when options.stop is set. Returns at
// once with a warning when options.archive_check is false or the timeout is 0: the backup then
// depends on segments `first` to `last` arriving by other means.
void WaitForArchivedWal(const Folder& root, const std::string& backup_name,
                        const std::string& first, const std::string& last,
                        CompressionMethod preferred, const BackupPushOptions& options);

}  // namespace walnut
