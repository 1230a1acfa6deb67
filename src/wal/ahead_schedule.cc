#include "wal/ahead_schedule.h"

#include <algorithm>

namespace walnut {

AheadSchedule::AheadSchedule(Clock::time_point start, Clock::duration window,
                             Clock::duration timeout)
    : start_(start),
      window_(timeout > Clock::duration::zero() ? std::min(window, timeout / 4) : window),
      timeout_(std::max(timeout, Clock::duration::zero())) {}

bool AheadSchedule::MayStart(Clock::time_point now) const {
  if (stopped_.load()) return false;
  Clock::duration elapsed = now - start_;
  if (elapsed >= window_) return false;
  if (timeout_ == Clock::duration::zero()) return true;
  auto longest = std::chrono::nanoseconds(longest_ns_.load());
  return elapsed + 2 * longest < timeout_ / 2;
}

void AheadSchedule::Record(Clock::duration took) {
  int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(took).count();
  int64_t seen = longest_ns_.load();
  while (ns > seen && !longest_ns_.compare_exchange_weak(seen, ns)) {
  }
}

}  // namespace walnut
