#include "support/pg_checks.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "support/cli_runner.h"

namespace walnut::testing {

void ExpectSameDumpAt(const std::string& actual, const std::string& expected,
                      const std::string& what) {
  auto [a, e] = std::mismatch(actual.begin(), actual.end(), expected.begin(), expected.end());
  if (a == actual.end() && e == expected.end()) return;
  size_t at = static_cast<size_t>(a - actual.begin());
  size_t from = at < 300 ? 0 : at - 300;
  ADD_FAILURE() << what << ": dumps differ at byte " << at << " (sizes " << actual.size()
                << " restored, " << expected.size() << " expected)\nrestored: ..."
                << actual.substr(from, 600) << "\nexpected: ..." << expected.substr(from, 600);
}

void ExpectAmcheckClean(const PgCluster& cluster, const std::string& what) {
  for (const auto& db :
       Lines(cluster.Query("SELECT datname FROM pg_database WHERE datallowconn ORDER BY 1"))) {
    cluster.Query("CREATE EXTENSION IF NOT EXISTS amcheck", db);
    // bt_index_parent_check raises an error on the first inconsistency: Query then throws.
    std::string indexes;
    try {
      indexes = cluster.Query(
          "SELECT count(bt_index_parent_check(c.oid, true)) FROM pg_index i "
          "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
          "WHERE a.amname = 'btree' AND c.relpersistence <> 't' AND i.indisready AND "
          "i.indisvalid",
          db);
    } catch (const std::exception& e) {
      ADD_FAILURE() << what << ": amcheck of the indexes of database " << db << ": " << e.what();
      continue;
    }
    EXPECT_GT(std::stoi(indexes), 10) << what << ": database " << db;  // catalog indexes at least
    std::string heap_errors = cluster.Query(
        "SELECT coalesce(string_agg(r.oid::regclass || ' block ' || coalesce(v.blkno::text, '?') "
        "|| ': ' || v.msg, E'\\n'), '') FROM (SELECT oid FROM pg_class WHERE relkind IN "
        "('r', 'm', 't') AND relpersistence <> 't') r, LATERAL verify_heapam(r.oid) v",
        db);
    EXPECT_EQ(heap_errors, "") << what << ": verify_heapam in database " << db;
  }
}

}  // namespace walnut::testing
