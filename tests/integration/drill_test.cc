// `walnut drill` end to end: a real PostgreSQL 15 archiving through Walnut, a backup, changes;
// then drills to the end of the archive and to a point in time, with the checks, the reports and
// the failures a drill must report (a wrong --expect, a target the archive never reaches, a
// SIGTERM during recovery, a non-empty --dir), each leaving no PostgreSQL and no scratch directory.

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "support/background_command.h"
#include "support/pg_cluster.h"
#include "support/test_util.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;

// Processes whose command line mentions `needle` (a scratch directory): none may outlive a drill.
std::vector<std::string> ProcessesMentioning(const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline;
    try {
      cmdline = ReadFile(entry.path() / "cmdline");
    } catch (const std::exception&) {
      continue;  // the process is gone
    }
    for (char& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    if (cmdline.find(needle) != std::string::npos) found.push_back(pid + ": " + cmdline);
  }
  return found;
}

class DrillTest : public ::testing::Test {
 protected:
  // A source archiving into `config`, a backup, then changes after it, every segment archived.
  void PrepareArchive(WalnutConfig& config) {
    source_.InitDb();
    source_.Configure({"wal_level = replica", "archive_mode = on",
                       "archive_command = " + ConfQuote(config.ArchiveCommand()),
                       "archive_timeout = 0"});
    source_.Start();
    source_.Pgbench("-i -q -s 1");
    source_.Query("CREATE TABLE marks (what text)");
    CommandResult r =
        source_.Run(config.CommandLine("backup-push " + ShellQuote(source_.data_dir().string())));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    source_.Pgbench("-n -c 2 -t 200");
    source_.Query("INSERT INTO marks VALUES ('kept')");
    target_time_ = source_.Query("SELECT clock_timestamp()");
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    source_.Query("INSERT INTO marks VALUES ('later')");
    source_.Pgbench("-n -c 2 -t 200");
    source_.WaitForArchived(source_.SwitchWal(), 60);
  }

  // A scratch directory path the drill may create (its parent belongs to PostgreSQL's user).
  std::string ScratchDir() {
    GrantToPgRunUser(work_.path());
    return (work_.path() / "scratch").string();
  }

  // A file in the work directory that PostgreSQL's user can read.
  std::string WorkFile(const std::string& name, const std::string& content) {
    fs::path path = work_.path() / name;
    WriteFile(path, content);
    GrantToPgRunUser(path);
    return path.string();
  }

  void ExpectNothingLeft(const std::string& scratch) {
    EXPECT_FALSE(fs::exists(scratch)) << scratch << " was left behind";
    EXPECT_TRUE(ProcessesMentioning(scratch).empty())
        << "still running: " << ::testing::PrintToString(ProcessesMentioning(scratch));
  }

  // A drill killed with SIGTERM once its PostgreSQL runs: exit 1, one line, nothing left.
  void ExpectSigtermDuringRecoveryLeavesNothing(WalnutConfig& config) {
    const std::string scratch = ScratchDir();
    BackgroundCommand drill(config.IsolatedCommandLine("drill --dir " + ShellQuote(scratch)));
    const pid_t pid = drill.Pid();
    // PostgreSQL's log appears when the server starts: recovery is under way.
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!fs::exists(fs::path(scratch) / "postgres.log") &&
           std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(fs::exists(fs::path(scratch) / "postgres.log"));
    ASSERT_EQ(::kill(pid, SIGTERM), 0);
    CommandResult r = drill.Wait();
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("drill interrupted by a signal"), std::string::npos) << r.err;
    ExpectNothingLeft(scratch);
  }

  // A drill to an LSN the archive never reaches: exit 1, one line naming the target, nothing left.
  void ExpectUnreachableLsnFails(WalnutConfig& config) {
    const std::string scratch = ScratchDir();
    CommandResult r = config.Run("drill --dir " + ShellQuote(scratch) + " --target-lsn FF/0");
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("recovery ended before the target lsn FF/0 was reached"),
              std::string::npos)
        << r.err;
    ExpectNothingLeft(scratch);
  }

  PgCluster source_;
  std::string target_time_;
  TempDir work_;
};

// Run as root (as a cron job would): PostgreSQL and its tools run as PgRunUser().
TEST_F(DrillTest, ToTheEndOfTheArchivePassesAndLeavesNothing_Directory) {
  WalnutConfig config(TestStorage::kDirectory, "drill-end");
  config.SetCompression("lz4");
  PrepareArchive(config);
  const std::string scratch = ScratchDir();
  const std::string textfile_dir = (work_.path() / "textfile").string();
  fs::create_directories(textfile_dir);
  const std::string report = (work_.path() / "report.json").string();
  CommandResult r = RunCommand(config.IsolatedCommandLine(
      "drill --os-user " + PgRunUser() + " --dir " + ShellQuote(scratch) + " --report " +
      ShellQuote(report) + " --textfile " + ShellQuote(textfile_dir)));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PASSED"), std::string::npos) << r.out;
  ExpectNothingLeft(scratch);

  auto doc = nlohmann::json::parse(ReadFile(report));
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["kind"], "drill");
  EXPECT_EQ(doc["success"], true);
  EXPECT_TRUE(doc["errors"].empty());
  EXPECT_EQ(doc["target"]["kind"], "end");
  EXPECT_TRUE(doc["rpo_seconds"].is_null());
  EXPECT_GT(doc["rto_seconds"].get<double>(), 0);
  EXPECT_GE(doc["backup_age_seconds"].get<double>(), 0);
  EXPECT_EQ(doc["checks"]["amcheck"]["ok"], true) << doc.dump();
  EXPECT_EQ(doc["checks"]["databases"]["ok"], true);
  EXPECT_EQ(doc["checks"]["checksums"]["ok"], true);
  EXPECT_NE(doc["checks"]["checksums"]["detail"].get<std::string>().find("pg_checksums"),
            std::string::npos);
  EXPECT_GT(doc["phases"]["fetch"]["bytes"].get<uint64_t>(), 1000000u);
  EXPECT_GT(doc["wal_files_fetched"].get<int>(), 0);
  const std::string backup = doc["backup_name"];
  EXPECT_TRUE(backup.starts_with("base_")) << backup;

  // The stored report is the same document.
  auto stored = nlohmann::json::parse(ReadFile(config.storage_dir() / "walnut_reports/drill.json"));
  EXPECT_EQ(stored, doc);

  const std::string prom = ReadFile(fs::path(textfile_dir) / "walnut_drill.prom");
  const std::string labels =
      "{storage=\"file://" + config.storage_dir().string() + "\",source=\"drill\"}";
  EXPECT_NE(prom.find("walnut_drill_last_success" + labels + " 1\n"), std::string::npos) << prom;
  EXPECT_NE(prom.find("walnut_drill_last_success_timestamp_seconds" + labels), std::string::npos);
  EXPECT_NE(prom.find("walnut_drill_last_rto_seconds" + labels), std::string::npos);
  EXPECT_NE(prom.find("walnut_drill_last_backup_age_seconds" + labels), std::string::npos);
  EXPECT_EQ(prom.find("walnut_drill_last_rpo_seconds"), std::string::npos) << "no target time";
  if (fs::exists("/usr/bin/promtool")) {
    CommandResult check =
        RunCommand("promtool check metrics < " + ShellQuote(textfile_dir + "/walnut_drill.prom"));
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  }
}

TEST_F(DrillTest, ToATargetTimeMatchesTheDataOfThatMomentAndAWrongExpectFails_Directory) {
  WalnutConfig config(TestStorage::kDirectory, "drill-time");
  PrepareArchive(config);
  const std::string sql = WorkFile("check.sql",
                                   "SELECT string_agg(what, ',') FROM marks;\n"
                                   "SELECT count(*) FROM pgbench_branches;\n");
  const std::string right = WorkFile("right.txt", "kept\n1\n");
  const std::string wrong = WorkFile("wrong.txt", "kept,later\n1\n");
  const std::string report = (work_.path() / "report.json").string();
  GrantToPgRunUser(work_.path());

  CommandResult r =
      config.Run("drill --target-time " + ShellQuote(target_time_) + " --sql " + ShellQuote(sql) +
                 " --expect " + ShellQuote(right) + " --report " + ShellQuote(report));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto doc = nlohmann::json::parse(ReadFile(report));
  EXPECT_EQ(doc["target"]["kind"], "time");
  EXPECT_EQ(doc["target"]["value"], target_time_);
  EXPECT_EQ(doc["checks"]["sql"]["ok"], true);
  // The last commit replayed is the insert of 'kept', just before the target.
  ASSERT_TRUE(doc["rpo_seconds"].is_number()) << doc.dump();
  EXPECT_GE(doc["rpo_seconds"].get<double>(), 0);
  EXPECT_LT(doc["rpo_seconds"].get<double>(), 5);

  const std::string scratch = ScratchDir();
  r = config.Run("drill --dir " + ShellQuote(scratch) + " --target-time " +
                 ShellQuote(target_time_) + " --sql " + ShellQuote(sql) + " --expect " +
                 ShellQuote(wrong));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("line 1: expected 'kept,later', got 'kept'"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("FAILED"), std::string::npos) << r.out;
  ExpectNothingLeft(scratch);
  auto stored = nlohmann::json::parse(ReadFile(config.storage_dir() / "walnut_reports/drill.json"));
  EXPECT_EQ(stored["success"], false);
  EXPECT_EQ(stored["checks"]["sql"]["ok"], false);
}

TEST_F(DrillTest, UnreachableTargetsFailWithOneClearLine_Directory) {
  WalnutConfig config(TestStorage::kDirectory, "drill-unreachable");
  PrepareArchive(config);
  const std::string scratch = ScratchDir();
  const std::string future = source_.Query("SELECT now() + interval '1 hour'");
  CommandResult r =
      config.Run("drill --dir " + ShellQuote(scratch) + " --target-time " + ShellQuote(future));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("recovery ended before the target time " + future + " was reached"),
            std::string::npos)
      << r.err;
  ExpectNothingLeft(scratch);

  ExpectUnreachableLsnFails(config);
}

TEST_F(DrillTest, SigtermDuringRecoveryLeavesNoPostgresAndNoScratchDir_Directory) {
  WalnutConfig config(TestStorage::kDirectory, "drill-sigterm");
  PrepareArchive(config);
  ExpectSigtermDuringRecoveryLeavesNothing(config);
}

TEST_F(DrillTest, ANonEmptyDirIsRefused) {
  WalnutConfig config(TestStorage::kDirectory, "drill-dir");
  const std::string scratch = ScratchDir();
  fs::create_directories(scratch);
  WriteFile(fs::path(scratch) / "precious", "data");
  GrantToPgRunUser(work_.path());
  CommandResult r = config.Run("drill --dir " + ShellQuote(scratch));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--dir " + scratch + " is not empty"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(fs::path(scratch) / "precious"), "data");
}

// On S3 servers: to a target time with --sql/--expect, the stored report read back with `st cat`;
// then an unreachable target and a drill killed midway, each leaving nothing behind.
class DrillS3Test : public DrillTest, public ::testing::WithParamInterface<TestStorage> {};

TEST_P(DrillS3Test, ToATargetTimeWithSqlAndExpectThenAnUnreachableTargetAndASigterm) {
  WALNUT_SKIP_UNLESS_AVAILABLE(GetParam());
  WalnutConfig config(GetParam(), "drill-s3");
  config.SetCompression("zstd");
  PrepareArchive(config);
  const std::string sql = WorkFile("check.sql", "SELECT string_agg(what, ',') FROM marks;\n");
  const std::string right = WorkFile("right.txt", "kept\n");
  const std::string scratch = ScratchDir();
  CommandResult r = config.Run("drill LATEST --dir " + ShellQuote(scratch) + " --target-time " +
                               ShellQuote(target_time_) + " --sql " + ShellQuote(sql) +
                               " --expect " + ShellQuote(right));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ExpectNothingLeft(scratch);
  CommandResult stored = config.Run("st cat walnut_reports/drill.json");
  ASSERT_EQ(stored.exit_code, 0) << stored.err;
  auto doc = nlohmann::json::parse(stored.out);
  EXPECT_EQ(doc["success"], true);
  EXPECT_EQ(doc["checks"]["sql"]["ok"], true);
  EXPECT_TRUE(doc["rpo_seconds"].is_number());

  // The failure cases on the same archive: an unreachable target, a drill killed midway.
  ExpectUnreachableLsnFails(config);
  ExpectSigtermDuringRecoveryLeavesNothing(config);
}

INSTANTIATE_TEST_SUITE_P(S3Servers, DrillS3Test, ::testing::ValuesIn(kS3Servers),
                         TestStorageParamName);

}  // namespace
}  // namespace walnut::testing
