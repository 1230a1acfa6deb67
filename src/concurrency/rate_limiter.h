#pragma once

#include <chrono>
#include <cstdint>

#include "common/mutex.h"

namespace walnut {

// A token bucket shared by threads: Acquire(n) takes n tokens (bytes), sleeping until the bucket
// has refilled enough at `bytes_per_second`. The bucket holds at most `burst` bytes, so an idle
// period does not buy an unlimited burst later. Large requests are allowed (the debt is slept off
// by the next callers). Thread-safe.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  RateLimiter(uint64_t bytes_per_second, uint64_t burst);

  void Acquire(uint64_t bytes);

  // The delay Acquire would sleep for `bytes` at time `now`, taking the tokens (for tests).
  Clock::duration Reserve(uint64_t bytes, Clock::time_point now);

 private:
  const double rate_;   // bytes per second
  const double burst_;  // bucket capacity
  Mutex mu_;
  double tokens_ GUARDED_BY(mu_);  // negative: debt to sleep off
  Clock::time_point last_ GUARDED_BY(mu_);
};

}  // namespace walnut
