#include "wal/wal_push_deadline.h"

#include <cstdio>

#include <unistd.h>

#include "common/logging.h"

namespace walnut {

WalPushDeadline::WalPushDeadline(std::chrono::milliseconds timeout, std::string message)
    : message_(std::move(message)) {
  thread_ = std::thread([this, timeout] { Watch(timeout); });
}

WalPushDeadline::~WalPushDeadline() {
  {
    MutexLock lock(mu_);
    disarmed_ = true;
  }
  cv_.NotifyAll();
  thread_.join();
}

void WalPushDeadline::Watch(std::chrono::milliseconds timeout) {
  MutexLock lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!disarmed_) {
    if (!cv_.WaitUntil(mu_, deadline)) break;  // timed out
  }
  if (disarmed_) return;
  spdlog::error(
      "{} did not finish within {}s (WALNUT_WAL_PUSH_TIMEOUT); giving up, "
      "PostgreSQL will retry",
      message_, static_cast<double>(timeout.count()) / 1000);
  spdlog::default_logger()->flush();
  std::fflush(stderr);
  // _exit: other threads may hold locks or be inside the storage client; running destructors
  // or atexit handlers could hang, and nothing needs cleaning up (see the class comment).
  ::_exit(1);
}

}  // namespace walnut
