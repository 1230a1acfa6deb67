#include "wal/wal_push_deadline.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "common/logging.h"

namespace walnut {
namespace {

using std::chrono::milliseconds;

TEST(WalPushDeadlineTest, EndsTheProcessWithOneErrorLineWhenItPasses) {
  EXPECT_EXIT(
      {
        InitLogging();
        WalPushDeadline deadline(milliseconds(50), "wal-push of pg_wal/X to s3://bucket");
        std::this_thread::sleep_for(std::chrono::seconds(10));
      },
      ::testing::ExitedWithCode(1),
      "ERROR: .*wal-push of pg_wal/X to s3://bucket did not finish within 0.05s "
      "\\(WALNUT_WAL_PUSH_TIMEOUT\\)");
}

TEST(WalPushDeadlineTest, DoesNothingWhenDisarmedInTime) {
  auto start = std::chrono::steady_clock::now();
  { WalPushDeadline deadline(milliseconds(60'000), "never"); }
  // Disarming wakes the watchdog at once rather than waiting out the timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace walnut
