#include "common/retry.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "common/error.h"

namespace walnut {
namespace {

using std::chrono::milliseconds;

RetryPolicy FastPolicy(int attempts) {
  return RetryPolicy{
      .max_attempts = attempts, .base_delay = milliseconds(1), .max_delay = milliseconds(4)};
}

TEST(RetryTest, RetriesRetryableErrorsUntilSuccess) {
  int calls = 0;
  WithRetries(FastPolicy(5), "upload", [&] {
    if (++calls < 3) throw Error(ErrorCode::kNetwork, "reset", true);
  });
  EXPECT_EQ(calls, 3);
}

TEST(RetryTest, GivesUpAfterMaxAttemptsWithTheLastError) {
  int calls = 0;
  try {
    WithRetries(FastPolicy(4), "upload", [&] {
      ++calls;
      throw Error(ErrorCode::kNetwork, "reset " + std::to_string(calls), true);
    });
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "reset 4");
  }
  EXPECT_EQ(calls, 4);
}

TEST(RetryTest, NeverRetriesOtherErrors) {
  int calls = 0;
  EXPECT_THROW(WithRetries(FastPolicy(5), "get",
                           [&] {
                             ++calls;
                             throw Error(ErrorCode::kPermissionDenied, "403");
                           }),
               Error);
  EXPECT_EQ(calls, 1);
  calls = 0;
  EXPECT_THROW(WithRetries(FastPolicy(5), "get",
                           [&] {
                             ++calls;
                             throw std::runtime_error("bug");
                           }),
               std::runtime_error);
  EXPECT_EQ(calls, 1);
}

TEST(RetryTest, FastFailuresAreRetriedUntilTheBudgetRunsOut) {
  RetryPolicy p = FastPolicy(1000000);
  p.budget = milliseconds(300);
  int calls = 0;
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(WithRetries(p, "connect",
                           [&] {
                             ++calls;
                             throw Error(ErrorCode::kNetwork, "refused", true);
                           }),
               Error);
  auto elapsed = std::chrono::steady_clock::now() - start;
  // Sleeps may overrun a little on a loaded machine.
  EXPECT_LT(elapsed, milliseconds(400));
  EXPECT_GT(elapsed, milliseconds(250));  // the budget was used, not given up early
  EXPECT_GT(calls, 20);
}

TEST(RetryTest, NoRetryStartsThatWouldEndPastTheBudget) {
  // Each attempt takes 300 ms to fail (a stall): after the third, a fourth would end at about
  // 1.2 s, past the 1 s budget.
  RetryPolicy p = FastPolicy(10);
  p.budget = milliseconds(1000);
  int calls = 0;
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(WithRetries(p, "get",
                           [&] {
                             ++calls;
                             std::this_thread::sleep_for(milliseconds(300));
                             throw Error(ErrorCode::kNetwork, "stalled", true);
                           }),
               Error);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1100));
  EXPECT_EQ(calls, 3);
}

TEST(RetryTest, MaxAttemptsStillHoldWithinTheBudget) {
  RetryPolicy p = FastPolicy(3);
  p.budget = milliseconds(60000);
  int calls = 0;
  EXPECT_THROW(WithRetries(p, "put",
                           [&] {
                             ++calls;
                             throw Error(ErrorCode::kNetwork, "reset", true);
                           }),
               Error);
  EXPECT_EQ(calls, 3);
}

TEST(RetryTest, NoBackoffTakesMoreThanATenthOfTheBudget) {
  RetryPolicy p{.max_attempts = 20,
                .base_delay = milliseconds(100),
                .max_delay = milliseconds(10000),
                .budget = milliseconds(5000)};
  for (int i = 0; i < 200; ++i) EXPECT_LE(BackoffDelay(p, 12).count(), 500);
}

TEST(RetryTest, BackoffGrowsExponentiallyWithJitterUpToTheCap) {
  RetryPolicy p{
      .max_attempts = 10, .base_delay = milliseconds(100), .max_delay = milliseconds(1000)};
  for (int attempt = 1; attempt <= 8; ++attempt) {
    long cap = std::min(1000L, 100L << (attempt - 1));
    long max_seen = 0;
    for (int i = 0; i < 200; ++i) {
      auto d = BackoffDelay(p, attempt).count();
      EXPECT_GE(d, 0);
      EXPECT_LE(d, cap);
      max_seen = std::max<long>(max_seen, d);
    }
    EXPECT_GT(max_seen, cap / 2) << "no spread at attempt " << attempt;
  }
}

}  // namespace
}  // namespace walnut
