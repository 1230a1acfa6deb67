// wal-show and wal-verify run as an operator runs them: the built binary against a local
// directory and the fixture's s3rver, WAL objects put there through the pipeline (`st put`, so
// compressed and encrypted as wal-push stores them), and a real PostgreSQL 15 for the current
// segment of wal-verify.

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "postgres/wal_file_name.h"
#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/pg_cluster.h"
#include "support/test_util.h"

namespace walnut::testing {
namespace {

const char* const kSodiumKeyHex =
    "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";

// Puts objects into the runner's storage with `st put`.
class Archive {
 public:
  explicit Archive(const CliRunner& cli) : cli_(cli) {}

  // A WAL object as wal-push stores it: compressed and encrypted as configured.
  void PutWal(const std::string& name, const std::string& content = "segment bytes") {
    Put(content, "wal_005/" + name, "");
  }
  void PutSegment(pg::TimelineId timeline, pg::SegmentNo segno) {
    PutWal(pg::WalFileName({timeline, segno}));
  }
  // JSON metadata as WAL-G stores it: raw.
  void PutRaw(const std::string& key, const std::string& content) {
    Put(content, key, "-f --no-compress --no-encrypt");
  }
  void Remove(const std::string& key) {
    auto r = cli_.Run("st rm " + ShellQuote(key));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

 private:
  void Put(const std::string& content, const std::string& key, const std::string& flags) {
    auto r = cli_.Run("st put " + flags + " - " + ShellQuote(key), content);
    ASSERT_EQ(r.exit_code, 0) << key << ": " << r.err;
  }
  const CliRunner& cli_;
};

// "segment bytes" of timeline 1: 1, 2, 4, 5 (3 lost); timeline 2 (from 1 at 0/6000000): 6, 7.
// Backups: one on timeline 1 (sentinel only), one permanent on timeline 2 (with metadata.json).
void FillArchive(Archive& archive) {
  for (pg::SegmentNo s : {1, 2, 4, 5}) archive.PutSegment(1, s);
  for (pg::SegmentNo s : {6, 7}) archive.PutSegment(2, s);
  archive.PutWal("00000002.history", "1\t0/6000000\tno recovery target specified\n");
  archive.PutWal("000000010000000000000006.partial");
  archive.PutRaw("basebackups_005/base_000000010000000000000002_backup_stop_sentinel.json",
                 R"({"LSN":33554472,"FinishLSN":33555000,"PgVersion":150000})");
  archive.PutRaw("basebackups_005/base_000000020000000000000006_backup_stop_sentinel.json",
                 R"({"LSN":100663336,"FinishLSN":117440512,"PgVersion":150000})");
  archive.PutRaw("basebackups_005/base_000000020000000000000006/metadata.json",
                 R"({"start_time":"2025-01-01T00:00:00Z","finish_time":"2025-01-01T00:01:00Z",)"
                 R"("date_fmt":"%Y-%m-%dT%H:%M:%S.%fZ","hostname":"h","data_dir":"/d",)"
                 R"("pg_version":150000,"start_lsn":100663336,"finish_lsn":117440512,)"
                 R"("is_permanent":true,"system_identifier":null,"uncompressed_size":1,)"
                 R"("compressed_size":1})");
}

class WalShowVerifyCliTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "s3") {
      cli_.UseS3Storage("walshow");
    } else {
      cli_.UseFileStorage();
    }
    cli_.Set("WALG_COMPRESSION_METHOD", "zstd");
    cli_.Set("WALG_LIBSODIUM_KEY", kSodiumKeyHex);
    cli_.Set("WALG_LIBSODIUM_KEY_TRANSFORM", "hex");
    archive_ = std::make_unique<Archive>(cli_);
    FillArchive(*archive_);
  }

  CliRunner cli_;
  std::unique_ptr<Archive> archive_;
};

TEST_P(WalShowVerifyCliTest, WalShowTableAndJson) {
  auto r = cli_.Run("wal-show");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 6u) << r.out;
  EXPECT_EQ(lines[1],
            "| TLI | PARENT TLI | SWITCHPOINT LSN | START SEGMENT            | END SEGMENT        "
            "      | SEGMENT RANGE | SEGMENTS COUNT | STATUS        | BACKUPS COUNT |");
  EXPECT_EQ(
      lines[3],
      "|   1 |          0 |             0/0 | 000000010000000000000001 | 0000000100000000000000"
      "05 |             5 |              4 | LOST_SEGMENTS |             1 |");
  EXPECT_EQ(
      lines[4],
      "|   2 |          1 |       0/6000000 | 000000020000000000000006 | 0000000200000000000000"
      "07 |             2 |              2 | OK            |             1 |");

  r = cli_.Run("wal-show --detailed-json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto json = nlohmann::json::parse(r.out);
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0]["missing_segments"], nlohmann::json::array({"000000010000000000000003"}));
  EXPECT_EQ(json[0]["backups"][0]["backup_name"], "base_000000010000000000000002");
  EXPECT_EQ(json[0]["backups"][0]["start_lsn"], 33554472);
  EXPECT_EQ(json[1]["switch_point_lsn"], 0x6000000);
  EXPECT_EQ(json[1]["backups"][0]["is_permanent"], true);
  EXPECT_EQ(json[1]["backups"][0]["hostname"], "h");

  r = cli_.Run("wal-show --without-backups");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("BACKUPS COUNT"), std::string::npos) << r.out;
}

TEST_P(WalShowVerifyCliTest, WalVerifyWithGivenPosition) {
  // The server has written into segment 8 of timeline 2 (wal-verify takes the segment of LSN - 1,
  // as WAL-G): check segments 2..7, from the earliest backup.
  cli_.Set("WALG_UPLOAD_CONCURRENCY", "2");
  auto r = cli_.Run("wal-verify integrity timeline --json --timeline 2 --lsn 0/8000001");
  ASSERT_EQ(r.exit_code, 0) << r.err;  // a FAILURE verdict is output, not an exit code
  auto json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["integrity"]["status"], "FAILURE");
  auto expected = nlohmann::json::parse(R"([
    {"timeline_id":1,"start_segment":"000000010000000000000002","end_segment":"000000010000000000000002","segments_count":1,"status":"FOUND"},
    {"timeline_id":1,"start_segment":"000000010000000000000003","end_segment":"000000010000000000000003","segments_count":1,"status":"MISSING_LOST"},
    {"timeline_id":1,"start_segment":"000000010000000000000004","end_segment":"000000010000000000000005","segments_count":2,"status":"FOUND"},
    {"timeline_id":2,"start_segment":"000000020000000000000006","end_segment":"000000020000000000000007","segments_count":2,"status":"FOUND"}])");
  EXPECT_EQ(json["integrity"]["details"], expected);
  EXPECT_EQ(json["timeline"]["status"], "OK");
  EXPECT_EQ(json["timeline"]["details"]["highest_storage_timeline_id"], 2);

  // The missing segment inside the upload window is only "uploading": a warning.
  cli_.Set("WALG_UPLOAD_CONCURRENCY", "16");
  r = cli_.Run("wal-verify integrity --timeline 2 --lsn 0/8000001");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out)[0], "[wal-verify] integrity check status: WARNING") << r.out;
  EXPECT_NE(r.out.find("MISSING_UPLOADING"), std::string::npos) << r.out;

  // From a named backup past the gap: OK, and the line scripts grep for.
  r = cli_.Run(
      "wal-verify integrity --timeline 2 --lsn 0/8000001 --backup-name "
      "base_000000020000000000000006");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("integrity check status: OK\n"), std::string::npos) << r.out;

  // Timeline 1 is older than what storage holds: split brain.
  r = cli_.Run("wal-verify timeline --timeline 1 --lsn 0/6000000");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "[wal-verify] timeline check status: FAILURE\n"
            "[wal-verify] timeline check details:\n"
            "Highest timeline found in storage: 2\n"
            "Current cluster timeline: 1\n");
}

TEST_P(WalShowVerifyCliTest, CorruptHistoryIsOneErrorLine) {
  archive_->PutRaw("wal_005/00000002.history.zst", "not zstd, not encrypted");
  auto r = cli_.Run("wal-show");
  EXPECT_EQ(r.exit_code, 1);
  ExpectOneErrorLine(r, "00000002.history");
}

INSTANTIATE_TEST_SUITE_P(Storages, WalShowVerifyCliTest, ::testing::Values("directory", "s3"),
                         [](const auto& param_info) { return param_info.param; });

TEST(WalVerifyArgumentsTest, BadArgumentsExitTwo) {
  CliRunner cli;
  cli.UseFileStorage();
  struct Case {
    std::string args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"wal-verify integrity --timeline 1", "\"--timeline\" flag works only in conjunction"},
           {"wal-verify integrity --lsn 0/1000000", "\"--lsn\" flag works only in conjunction"},
           {"wal-verify bogus --timeline 1 --lsn 0/1", "invalid check specified: bogus"},
           {"wal-verify integrity --timeline 1 --lsn 12345", "12345"},
           {"wal-verify integrity --timeline x --lsn 0/1", "--timeline"},
           {"wal-verify", "checks"},
           {"wal-show extra", "extra"},
       }) {
    auto r = cli.Run(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << ": " << r.err;
    ExpectOneErrorLine(r, c.message);
  }
}

TEST(WalVerifyArgumentsTest, UnreachableDatabaseIsOneLine) {
  CliRunner cli;
  cli.UseFileStorage();
  TempDir nowhere;
  cli.Set("PGHOST", nowhere.str());
  cli.Set("PGPORT", "5999");
  auto r = cli.Run("wal-verify integrity timeline");
  EXPECT_EQ(r.exit_code, 1);
  ExpectOneErrorLine(r, "cannot connect to PostgreSQL");
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// The connection settings of `cluster` for the runner.
void UseCluster(CliRunner& cli, const PgCluster& cluster) {
  std::istringstream words(cluster.ConnectionEnv());
  std::string word;
  while (words >> word) {
    size_t eq = word.find('=');
    if (eq == std::string::npos) continue;
    std::string value = word.substr(eq + 1);  // shell-quoted: '...'
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
      value = value.substr(1, value.size() - 2);
    }
    cli.Set(word.substr(0, eq), value);
  }
}

TEST(WalVerifyPostgresTest, CurrentSegmentFromTheServer) {
  PgCluster cluster;
  cluster.InitDb();
  cluster.Start();
  // A few finished segments, then a record in the new one: its name no longer changes when the
  // server writes a little more (pg_walfile_name names the segment of LSN - 1, as wal-verify).
  for (int i = 0; i < 3; ++i) {
    cluster.Query("CREATE TABLE t" + std::to_string(i) +
                  "(); SELECT pg_switch_wal(); CREATE TABLE u" + std::to_string(i) + "()");
  }
  std::string walfile = cluster.Query("SELECT pg_walfile_name(pg_current_wal_lsn())");
  auto current = pg::ParseWalFileName(walfile);
  ASSERT_TRUE(current) << walfile;
  ASSERT_GE(current->segno, 4u);

  CliRunner cli;
  cli.UseFileStorage();
  UseCluster(cli, cluster);
  Archive archive(cli);
  for (pg::SegmentNo s = 1; s < current->segno; ++s) archive.PutSegment(1, s);

  auto r = cli.Run("wal-verify integrity timeline");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("Current WAL segment: " + walfile), std::string::npos) << r.err;
  auto lines = Lines(r.out);
  ASSERT_GE(lines.size(), 9u) << r.out;
  EXPECT_EQ(lines[0], "[wal-verify] integrity check status: OK");
  EXPECT_EQ(lines[5], "|   1 | 000000010000000000000001 | " +
                          pg::WalFileName({1, current->segno - 1}) + " | " +
                          std::string(14 - std::to_string(current->segno - 1).size(), ' ') +
                          std::to_string(current->segno - 1) + " |  FOUND |")
      << r.out;
  EXPECT_EQ(lines.back(), "Current cluster timeline: 1");

  // A lost segment below the upload window is a FAILURE, still exit 0.
  archive.Remove("wal_005/" + pg::WalFileName({1, 2}) + ".lz4");
  cli.Set("WALG_UPLOAD_CONCURRENCY", "1");
  r = cli.Run("wal-verify integrity --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["integrity"]["status"], "FAILURE");
  EXPECT_EQ(json["integrity"]["details"][1]["status"], "MISSING_LOST");
  EXPECT_EQ(json["integrity"]["details"][1]["start_segment"], pg::WalFileName({1, 2}));
  cluster.Stop();
}

}  // namespace
}  // namespace walnut::testing
