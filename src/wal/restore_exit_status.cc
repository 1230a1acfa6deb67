#include "wal/restore_exit_status.h"

namespace walnut::wal {

RecoverySignals ReadRecoverySignals(LocalFs& fs, const std::filesystem::path& data_dir) {
  // A file that cannot be looked at (an unreadable directory) counts as not seen.
  auto exists = [&](const char* name) {
    FileStat stat;
    return fs.Stat((data_dir / name).string(), stat, /*follow_links=*/true) == 0;
  };
  RecoverySignals signals;
  signals.recovery = exists("recovery.signal");
  signals.standby = exists("standby.signal");
  return signals;
}

int FailedFetchExitStatus(const RecoverySignals& signals) {
  return signals.recovery && !signals.standby ? kExitStopRecovery : kExitFailure;
}

}  // namespace walnut::wal
