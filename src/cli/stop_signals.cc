#include "cli/stop_signals.h"

#include "common/log_file_sink.h"

namespace walnut {
namespace {

std::atomic<bool> g_stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "a signal handler sets it");

extern "C" void OnStopSignal(int /*signal*/) { g_stop_requested = true; }

}  // namespace

StopSignals::StopSignals() {
  g_stop_requested = false;
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  // Interrupted system calls resume: the command notices the flag where it polls it, instead of
  // failing somewhere with EINTR and a misleading message.
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    if (sig == SIGHUP && SighupReopensLogFiles()) continue;  // logrotate's, not a stop
    ::sigaction(sig, &action, &previous_[count_]);
    signals_[count_++] = sig;
  }
}

StopSignals::~StopSignals() {
  for (int i = 0; i < count_; ++i) ::sigaction(signals_[i], &previous_[i], nullptr);
}

const std::atomic<bool>& StopSignals::Flag() { return g_stop_requested; }

}  // namespace walnut
