#pragma once

#include <chrono>
#include <string>
#include <thread>

#include "common/mutex.h"

namespace walnut {

// A whole-command deadline for wal-push: PostgreSQL's archiver waits for archive_command without
// a limit, so a storage that never answers must not stall it (WAL-G users wrap wal-push in
// `timeout`). When `timeout` passes before the deadline is destroyed, a watchdog thread logs one
// ERROR line (`message` plus the timeout) and ends the process with exit code 1 at once, from
// whatever state the uploads are in: nothing was acknowledged to PostgreSQL, no marker exists
// for an unfinished upload, and PostgreSQL's retry pushes the same content again.
// Thread-safe.
class WalPushDeadline {
 public:
  WalPushDeadline(std::chrono::milliseconds timeout, std::string message);
  // Disarms the watchdog and joins it.
  ~WalPushDeadline();

  WalPushDeadline(const WalPushDeadline&) = delete;
  WalPushDeadline& operator=(const WalPushDeadline&) = delete;

 private:
  void Watch(std::chrono::milliseconds timeout);

  const std::string message_;
  Mutex mu_;
  CondVar cv_;
  bool disarmed_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace walnut
