#include "support/pg_cluster.h"

#include <gtest/gtest.h>

namespace walnut::testing {
namespace {

// The fixture every PostgreSQL test stands on: a cluster with data checksums, as an unprivileged
// user, reachable through its own socket.
TEST(PgClusterTest, StartsWithChecksumsAndRunsPgbench) {
  PgCluster cluster;
  cluster.InitDb();
  cluster.Start();
  EXPECT_EQ(cluster.Query("SHOW data_checksums"), "on");
  EXPECT_EQ(cluster.Query("SELECT current_user"), "postgres");
  cluster.Pgbench("-i -s 1 -q");
  EXPECT_EQ(cluster.Query("SELECT count(*) FROM pgbench_accounts"), "100000");
  EXPECT_NE(cluster.DumpAll().find("CREATE TABLE public.pgbench_accounts"), std::string::npos);
  cluster.Stop();
}

}  // namespace
}  // namespace walnut::testing
