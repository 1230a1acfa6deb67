// WALG_LOG_DESTINATION with the built binary: a bad path fails at start, failures still reach
// standard error, and logrotate's rename + SIGHUP during a running backup-push moves the lines
// that follow into the new file.

#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/pg_cluster.h"
#include "support/test_util.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;

const std::regex kWalGLine(
    R"((INFO|WARNING|ERROR|DEBUG): \d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6} .*)");

size_t CountContaining(const std::vector<std::string>& lines, const std::string& text) {
  size_t n = 0;
  for (const auto& line : lines) n += line.find(text) != std::string::npos;
  return n;
}

TEST(CliLogFileTest, AnUnopenableDestinationFailsAtStartWithExit2) {
  CliRunner cli;
  cli.UseFileStorage();
  cli.Set("WALG_LOG_DESTINATION", (cli.work().path() / "no-such-dir" / "walg.log").string());
  auto r = cli.Run("st ls");
  EXPECT_EQ(r.exit_code, 2);
  std::vector<std::string> lines = Lines(r.err);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_NE(lines[0].find("WALG_LOG_DESTINATION: cannot open"), std::string::npos) << lines[0];
  EXPECT_EQ(r.out, "");
}

TEST(CliLogFileTest, LinesGoToTheFileAndAFailureAlsoToStandardError) {
  CliRunner cli;
  cli.UseFileStorage();
  fs::path log = cli.work().path() / "walg.log";
  cli.Set("WALG_LOG_DESTINATION", log.string());
  WriteFile(cli.work().path() / "f", "data");

  auto put = cli.Run("st put " + ShellQuote((cli.work().path() / "f").string()) + " obj");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(put.err, "");  // progress and information only in the file
  auto get = cli.Run("st get missing " + ShellQuote((cli.work().path() / "g").string()));
  EXPECT_EQ(get.exit_code, 1);

  std::vector<std::string> file = Lines(ReadFile(log));
  std::vector<std::string> err = Lines(get.err);
  ASSERT_EQ(err.size(), 1u) << get.err;
  EXPECT_TRUE(err[0].starts_with("ERROR: ")) << err[0];
  ASSERT_EQ(file.size(), 2u) << ReadFile(log);
  EXPECT_TRUE(file[0].starts_with("INFO: ") && file[0].find("uploaded") != std::string::npos);
  EXPECT_EQ(file[1], err[0]);  // the same line in both places
  struct stat st {};
  ASSERT_EQ(::stat(log.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

// logrotate's create mode during a backup: rename the file, create a new one, send SIGHUP.
TEST(CliLogFileTest, RenameAndSighupDuringBackupPushMoveTheFollowingLines) {
  PgCluster cluster;
  CliRunner cli;
  cli.UseFileStorage();
  fs::path store = cli.storage_dir();
  fs::create_directories(store / "wal_005");
  GrantToPgRunUser(store);
  cluster.InitDb();
  cluster.Configure({"archive_mode = on",
                     "archive_command = " + ConfQuote("cp %p " + (store / "wal_005/%f").string()),
                     "wal_level = replica"});
  cluster.Start();
  cluster.Pgbench("-i -s 1 -q");
  cli.Set("PGHOST", cluster.socket_dir().string());
  cli.Set("PGPORT", "5432");
  cli.Set("PGUSER", "postgres");
  cli.Set("PGDATABASE", "postgres");
  fs::path log = cli.work().path() / "walg.log";
  fs::path rotated = cli.work().path() / "walg.log.1";
  cli.Set("WALG_LOG_DESTINATION", log.string());
  cli.Set("WALG_TAR_SIZE_THRESHOLD", "1000000");  // a line per 1 MB tar
  cli.Set("WALG_DISK_RATE_LIMIT", "4000000");     // ~23 MB at 4 MB/s: several seconds

  const std::string q = ShellQuote(log.string());
  auto r =
      RunCommand("(" + cli.CommandLine("backup-push " + ShellQuote(cluster.data_dir().string())) +
                 " & pid=$!; for i in $(seq 1 400); do grep -q 'uploaded part_' " + q +
                 " 2>/dev/null && break; sleep 0.05; done; mv " + q + " " +
                 ShellQuote(rotated.string()) + "; : > " + q + "; kill -HUP $pid; wait $pid)");
  ASSERT_EQ(r.exit_code, 0) << r.err;  // SIGHUP did not end it
  EXPECT_EQ(r.err, "");

  std::vector<std::string> before = Lines(ReadFile(rotated));
  std::vector<std::string> after = Lines(ReadFile(log));
  EXPECT_EQ(CountContaining(before, "starting base backup"), 1u);
  EXPECT_GE(CountContaining(before, "uploaded part_"), 1u);
  EXPECT_EQ(CountContaining(before, "wrote backup"), 0u);
  EXPECT_GE(CountContaining(after, "uploaded part_"), 1u) << "the backup ended before SIGHUP";
  EXPECT_EQ(CountContaining(after, "wrote backup"), 1u);
  std::set<std::string> seen;
  for (const auto* lines : {&before, &after}) {
    for (const auto& line : *lines) {
      EXPECT_TRUE(std::regex_match(line, kWalGLine)) << line;
      EXPECT_TRUE(seen.insert(line).second) << "twice: " << line;
    }
  }
}

}  // namespace
}  // namespace walnut::testing
