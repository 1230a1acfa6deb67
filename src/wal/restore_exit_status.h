#pragma once

#include <filesystem>

#include "localfs/local_fs.h"

namespace walnut::wal {

// The exit statuses of wal-fetch as restore_command, and what PostgreSQL 15 makes of them
// (RestoreArchivedFile in src/backend/access/transam/xlogarchive.c, wait_result_is_any_signal in
// src/common/wait_error.c): 0 is "restored"; 1 to 125 are "not in the archive", after which
// archive recovery ends and the server promotes (a standby instead tries streaming, then the
// archive again); above 125 (and death by a signal) stops recovery with FATAL, except 143
// (128 + SIGTERM), which PostgreSQL takes for a shutdown request and exits quietly.
inline constexpr int kExitNotArchived = 74;  // EX_IOERR, as WAL-G: the file is not archived
inline constexpr int kExitFailure = 1;
// Above 125 and not 128 + a signal PostgreSQL treats specially: PostgreSQL logs "could not
// restore file ... child process exited with exit code 255" and stops.
inline constexpr int kExitStopRecovery = 255;

// Which signal files PostgreSQL found in its data directory when it started.
struct RecoverySignals {
  bool recovery = false;  // recovery.signal: archive recovery (point-in-time recovery)
  bool standby = false;   // standby.signal: standby mode, which wins over recovery.signal
};

// The signal files in `data_dir` (restore_command runs in the data directory: pass "."), looked
// up through `fs`.
RecoverySignals ReadRecoverySignals(LocalFs& fs, const std::filesystem::path& data_dir);

// The exit status for a wal-fetch that failed for any reason but "not archived". In archive
// recovery a status PostgreSQL reads as "not archived" would end recovery early and promote, short
// of the WAL it should have replayed: recovery must stop instead (kExitStopRecovery), so that it
// can be resumed once the storage works. A standby retries by itself, and a call outside recovery
// (by hand) wants the usual failure status: kExitFailure.
int FailedFetchExitStatus(const RecoverySignals& signals);

}  // namespace walnut::wal
