#include "concurrency/rate_limiter.h"

#include <gtest/gtest.h>

namespace walnut {
namespace {

using std::chrono::milliseconds;

TEST(RateLimiterTest, BurstIsFreeThenRequestsWaitForTheRate) {
  RateLimiter limiter(1000, 500);  // 1000 bytes/s, 500 bytes of burst
  auto t0 = RateLimiter::Clock::now();
  EXPECT_EQ(limiter.Reserve(500, t0), RateLimiter::Clock::duration::zero());
  // The bucket is empty: 250 more bytes cost 250 ms.
  auto delay = limiter.Reserve(250, t0);
  EXPECT_NEAR(std::chrono::duration<double>(delay).count(), 0.25, 0.001);
  // After one second the debt is paid and 750 bytes refilled, capped at the burst.
  EXPECT_EQ(limiter.Reserve(500, t0 + milliseconds(1000)), RateLimiter::Clock::duration::zero());
}

TEST(RateLimiterTest, IdleTimeDoesNotBuyMoreThanTheBurst) {
  RateLimiter limiter(100, 100);
  auto t0 = RateLimiter::Clock::now();
  limiter.Reserve(100, t0);
  auto delay = limiter.Reserve(200, t0 + milliseconds(60'000));
  EXPECT_NEAR(std::chrono::duration<double>(delay).count(), 1.0, 0.001);
}

TEST(RateLimiterTest, AcquireActuallySleeps) {
  RateLimiter limiter(10'000, 1);
  auto start = RateLimiter::Clock::now();
  limiter.Acquire(1);
  limiter.Acquire(1000);  // 100 ms at 10 kB/s
  EXPECT_GE(RateLimiter::Clock::now() - start, milliseconds(90));
}

}  // namespace
}  // namespace walnut
