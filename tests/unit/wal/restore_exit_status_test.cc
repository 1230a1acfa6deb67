#include "wal/restore_exit_status.h"

#include <gtest/gtest.h>

#include "localfs/local_fs.h"
#include "support/test_util.h"

namespace walnut::wal {
namespace {

// PostgreSQL 15 (wait_result_is_any_signal with include_command_not_found) stops recovery with
// FATAL for exit statuses above 125, and reads 128 + SIGTERM as a shutdown request.
static_assert(kExitStopRecovery > 125 && kExitStopRecovery <= 255);
static_assert(kExitStopRecovery != 128 + 15);
static_assert(kExitNotArchived <= 125 && kExitFailure <= 125);

TEST(RestoreExitStatusTest, OnlyArchiveRecoveryStopsOnAFailure) {
  EXPECT_EQ(FailedFetchExitStatus({.recovery = true, .standby = false}), kExitStopRecovery);
  // standby.signal wins over recovery.signal: PostgreSQL runs a standby, which retries.
  EXPECT_EQ(FailedFetchExitStatus({.recovery = true, .standby = true}), kExitFailure);
  EXPECT_EQ(FailedFetchExitStatus({.recovery = false, .standby = true}), kExitFailure);
  // Run by hand, outside a data directory in recovery.
  EXPECT_EQ(FailedFetchExitStatus({.recovery = false, .standby = false}), kExitFailure);
}

TEST(RestoreExitStatusTest, ReadsTheSignalFilesOfTheDirectory) {
  testing::TempDir dir;
  RecoverySignals none = ReadRecoverySignals(LocalFs::Default(), dir.path());
  EXPECT_FALSE(none.recovery);
  EXPECT_FALSE(none.standby);
  testing::WriteFile(dir.path() / "recovery.signal", "");
  EXPECT_TRUE(ReadRecoverySignals(LocalFs::Default(), dir.path()).recovery);
  EXPECT_FALSE(ReadRecoverySignals(LocalFs::Default(), dir.path()).standby);
  testing::WriteFile(dir.path() / "standby.signal", "");
  EXPECT_TRUE(ReadRecoverySignals(LocalFs::Default(), dir.path()).standby);
  EXPECT_FALSE(ReadRecoverySignals(LocalFs::Default(), dir.path() / "missing").recovery);
}

}  // namespace
}  // namespace walnut::wal
