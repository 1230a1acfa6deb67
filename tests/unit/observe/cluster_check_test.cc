#include "observe/cluster_check.h"

#include <gtest/gtest.h>

namespace walnut::observe {
namespace {

TEST(CallsWalPushTest, AcceptsWalnutAndWalGByAnyPath) {
  EXPECT_TRUE(CallsWalPush("walnut wal-push %p"));
  EXPECT_TRUE(CallsWalPush("/usr/bin/wal-g wal-push %p"));
  EXPECT_TRUE(CallsWalPush("/opt/walnut/build/walnut --config /etc/walnut.json wal-push %p"));
  EXPECT_TRUE(CallsWalPush("envdir /etc/wal-g.d/env wal-g wal-push \"%p\""));
  EXPECT_TRUE(CallsWalPush("'/usr/local/bin/walnut' wal-push '%p'"));
  EXPECT_TRUE(CallsWalPush("WALG_FILE_PREFIX=/b /usr/bin/walnut wal-push %p"));
}

TEST(CallsWalPushTest, RefusesOtherCommands) {
  EXPECT_FALSE(CallsWalPush(""));
  EXPECT_FALSE(CallsWalPush("false"));
  EXPECT_FALSE(CallsWalPush("cp %p /archive/%f"));
  EXPECT_FALSE(CallsWalPush("pgbackrest --stanza=main archive-push %p"));
  EXPECT_FALSE(CallsWalPush("walnut wal-fetch %f %p"));
  EXPECT_FALSE(CallsWalPush("/usr/bin/notwalnut wal-push %p"));
  EXPECT_FALSE(CallsWalPush("wal-g wal-pushx %p"));
}

}  // namespace
}  // namespace walnut::observe
