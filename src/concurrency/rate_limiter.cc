#include "concurrency/rate_limiter.h"

#include <algorithm>
#include <thread>

namespace walnut {

RateLimiter::RateLimiter(uint64_t bytes_per_second, uint64_t burst)
    : rate_(static_cast<double>(std::max<uint64_t>(1, bytes_per_second))),
      burst_(static_cast<double>(std::max<uint64_t>(1, burst))),
      tokens_(burst_),
      last_(Clock::now()) {}

RateLimiter::Clock::duration RateLimiter::Reserve(uint64_t bytes, Clock::time_point now) {
  MutexLock lock(mu_);
  if (now > last_) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
  }
  tokens_ -= static_cast<double>(bytes);
  if (tokens_ >= 0) return Clock::duration::zero();
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(-tokens_ / rate_));
}

void RateLimiter::Acquire(uint64_t bytes) {
  Clock::duration delay = Reserve(bytes, Clock::now());
  if (delay > Clock::duration::zero()) std::this_thread::sleep_for(delay);
}

}  // namespace walnut
