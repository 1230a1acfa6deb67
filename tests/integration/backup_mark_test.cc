// backup-mark end to end with real PostgreSQL 15 (WAL-G's internal/backup_mark.go): a full and two
// deltas pushed by backup-push; marking the newest delta permanent marks the whole chain, as
// backup-list --detail shows; unmarking a backup that a permanent delta needs is refused with
// one ERROR line and exit 1; unmarking newest first works. On a directory and on s3rver.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/backup_history.h"
#include "support/error_lines.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

using Json = nlohmann::json;

class BackupMarkIt : public ::testing::TestWithParam<TestStorage> {
 protected:
  // is_permanent of each backup, oldest first, as backup-list --detail --json shows it.
  static std::vector<bool> Permanence(const WalnutConfig& config) {
    CommandResult r = config.Run("backup-list --detail --json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<bool> out;
    for (const Json& row : Json::parse(r.out, nullptr, false)) {
      out.push_back(row.value("is_permanent", false));
    }
    return out;
  }

  static void Mark(const WalnutConfig& config, const std::string& args,
                   const std::string& expect_in_log) {
    CommandResult r = config.Run("backup-mark " + args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find(expect_in_log), std::string::npos) << r.err;
  }
};

TEST_P(BackupMarkIt, MarksTheChainAndUnmarksNewestFirst) {
  WalnutConfig config(GetParam(), "backup-mark");
  config.Set("WALG_DELTA_MAX_STEPS", "2");
  BackupSource source;
  source.StartArchiving(config);
  const std::string full = source.Push(config);
  source.Pgbench("-n -c 1 -t 50");
  const std::string d1 = source.Push(config);
  source.Pgbench("-n -c 1 -t 50");
  const std::string d2 = source.Push(config);
  source.Stop();
  ASSERT_EQ(BackupNames(config), (std::vector<std::string>{full, d1, d2}));
  ASSERT_TRUE(d2.ends_with("_D_" + d1.substr(5, 24))) << d2;
  ASSERT_EQ(Permanence(config), (std::vector<bool>{false, false, false}));

  Mark(config, d2, "marked " + full + " permanent (backup " + d2 + " depends on it)");
  EXPECT_EQ(Permanence(config), (std::vector<bool>{true, true, true}));
  Mark(config, "LATEST", d2 + " is already permanent");

  // The full is needed by both permanent deltas: refused, nothing changes.
  for (const std::string& base : {full, d1}) {
    CommandResult r = config.Run("backup-mark -i " + base);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    ExpectOneErrorLine(r, {base, d2, "permanent", "unmark"});
  }
  EXPECT_EQ(Permanence(config), (std::vector<bool>{true, true, true}));

  Mark(config, "-i " + d2, "marked " + d2 + " impermanent");
  EXPECT_EQ(Permanence(config), (std::vector<bool>{true, true, false}));
  Mark(config, "--impermanent " + d1, "marked " + d1 + " impermanent");
  Mark(config, "-i " + full, "marked " + full + " impermanent");
  EXPECT_EQ(Permanence(config), (std::vector<bool>{false, false, false}));

  CommandResult r = config.Run("backup-mark base_0000000100000000000000FF");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ExpectOneErrorLine(r, {"base_0000000100000000000000FF", "not found"});
  r = config.Run("backup-mark");
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Storages, BackupMarkIt,
                         ::testing::Values(TestStorage::kDirectory, TestStorage::kS3),
                         [](const auto& param_info) {
                           return param_info.param == TestStorage::kS3 ? "S3" : "Directory";
                         });

}  // namespace
}  // namespace walnut::testing
