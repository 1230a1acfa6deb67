#pragma once

#include <string>

#include "support/pg_cluster.h"

namespace walnut::testing {

// Fails the test when two pg_dumpall outputs differ, showing `what` and the text around the first
// difference (dumps are megabytes: gtest's own diff of them is unreadable).
void ExpectSameDumpAt(const std::string& actual, const std::string& expected,
                      const std::string& what);

// Runs amcheck on every database of `cluster` that accepts connections: bt_index_parent_check with
// heapallindexed on every btree index, and verify_heapam on every table, TOAST table and
// materialized view. Fails the test with the first findings. Creates the amcheck extension.
void ExpectAmcheckClean(const PgCluster& cluster, const std::string& what);

}  // namespace walnut::testing
