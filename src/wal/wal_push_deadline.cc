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
    std::lock_guard lock(mu_);
    disarmed_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void WalPushDeadline::Watch(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (cv_.wait_for(lock, timeout, [this] { return disarmed_; })) return;
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
