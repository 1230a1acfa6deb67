#pragma once

#include <atomic>
#include <csignal>

namespace walnut {

// While alive, SIGINT and SIGTERM (and SIGHUP, unless it reopens the log file) do not kill the
// process: the handler only sets a flag, which the command polls to stop cleanly (abort its
// uploads, stop the backup on the server) and fail with one line. Restores the previous handlers
// when destroyed. One instance at a time; the CLI thread owns it.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Set by the handler; lives for the whole program (for BackupPushOptions::stop and the like).
  static const std::atomic<bool>& Flag();
  static bool Requested() { return Flag().load(); }

 private:
  static constexpr int kMaxSignals = 3;
  int signals_[kMaxSignals] = {};
  struct sigaction previous_[kMaxSignals] = {};
  int count_ = 0;
};

}  // namespace walnut
