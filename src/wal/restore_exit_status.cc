#include "wal/restore_exit_status.h"

#include <system_error>

namespace walnut::wal {

RecoverySignals ReadRecoverySignals(const std::filesystem::path& data_dir) {
  std::error_code ignored;  // an unreadable directory: no signal file seen
  RecoverySignals signals;
  signals.recovery = std::filesystem::exists(data_dir / "recovery.signal", ignored);
  signals.standby = std::filesystem::exists(data_dir / "standby.signal", ignored);
  return signals;
}

int FailedFetchExitStatus(const RecoverySignals& signals) {
  return signals.recovery && !signals.standby ? kExitStopRecovery : kExitFailure;
}

}  // namespace walnut::wal
