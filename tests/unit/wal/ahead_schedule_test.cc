#include "wal/ahead_schedule.h"

#include <chrono>

#include <gtest/gtest.h>

namespace walnut {
namespace {

using namespace std::chrono_literals;
using Clock = AheadSchedule::Clock;

TEST(AheadScheduleTest, StartsUploadsOnlyWithinTheWindow) {
  Clock::time_point t0 = Clock::now();
  AheadSchedule schedule(t0, 3s, 0s);
  EXPECT_TRUE(schedule.MayStart(t0));
  EXPECT_TRUE(schedule.MayStart(t0 + 2999ms));
  EXPECT_FALSE(schedule.MayStart(t0 + 3s));
  EXPECT_FALSE(schedule.MayStart(t0 + 1h));
}

TEST(AheadScheduleTest, TheWindowIsAtMostAQuarterOfTheTimeout) {
  Clock::time_point t0 = Clock::now();
  AheadSchedule schedule(t0, 3s, 4s);
  EXPECT_TRUE(schedule.MayStart(t0 + 999ms));
  EXPECT_FALSE(schedule.MayStart(t0 + 1s));
}

TEST(AheadScheduleTest, SlowUploadsStopTheWorkAheadBeforeTheDeadline) {
  Clock::time_point t0 = Clock::now();
  AheadSchedule schedule(t0, 30s, 120s);
  EXPECT_TRUE(schedule.MayStart(t0 + 10s));
  // One upload took 20 s: another one started at 10 s might end at 50 s; twice that margin
  // (10 + 2 x 20 = 50 s) still ends before half the timeout (60 s).
  schedule.Record(20s);
  EXPECT_TRUE(schedule.MayStart(t0 + 10s));
  EXPECT_FALSE(schedule.MayStart(t0 + 20s));
  // A slower one: nothing more starts, whatever the window says.
  schedule.Record(30s);
  EXPECT_FALSE(schedule.MayStart(t0 + 1s));
  // The longest upload counts, not the last one.
  schedule.Record(1s);
  EXPECT_FALSE(schedule.MayStart(t0 + 1s));
}

TEST(AheadScheduleTest, NothingStartsAfterStop) {
  Clock::time_point t0 = Clock::now();
  AheadSchedule schedule(t0, 3s, 0s);
  schedule.Stop();
  EXPECT_FALSE(schedule.MayStart(t0));
}

}  // namespace
}  // namespace walnut
