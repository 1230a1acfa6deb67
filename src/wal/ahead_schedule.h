#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace walnut {

// Decides when a wal-push call may start one more upload ahead (of a .ready file PostgreSQL has
// not asked for yet). PostgreSQL's archiver waits for the whole call, and the call must end well
// before its deadline (WALNUT_WAL_PUSH_TIMEOUT, after which it is killed and PostgreSQL retries),
// so uploads ahead start only:
// - within `window` of the call's start (capped at a quarter of the timeout): the call returns
//   soon after, and PostgreSQL's next calls find the markers and return at once;
// - when twice the longest upload seen so far still ends before half of the timeout: a slow
//   storage stops the work ahead instead of pushing the call past its deadline.
// Thread-safe.
class AheadSchedule {
 public:
  using Clock = std::chrono::steady_clock;

  // `timeout` of zero or less: no deadline (only the window applies).
  AheadSchedule(Clock::time_point start, Clock::duration window, Clock::duration timeout);

  // Whether an upload ahead may start at `now`. False for good once Stop() was called.
  bool MayStart(Clock::time_point now) const;
  // Records how long one upload took (the requested file's or one ahead).
  void Record(Clock::duration took);
  // No upload ahead starts any more (the requested file failed: the others would too).
  void Stop() { stopped_.store(true); }

 private:
  const Clock::time_point start_;
  const Clock::duration window_;
  const Clock::duration timeout_;  // zero: none
  std::atomic<int64_t> longest_ns_{0};
  std::atomic<bool> stopped_{false};
};

}  // namespace walnut
