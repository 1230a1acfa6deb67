// backup-list over WAL-G-shaped backups written straight into storage: the plain, --pretty,
// --json and --detail outputs that scripts and exporters parse (WAL-G's
// internal/databases/postgres/backup_list_handler.go), on a local directory and on the fixture's
// s3rver.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "backup/backup_metadata.h"
#include "backup/backup_name.h"
#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/test_config.h"
#include "support/test_util.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

Timestamp Time(const std::string& text) {
  auto t = ParseRfc3339(text);
  EXPECT_TRUE(t) << text;
  return t.value_or(Timestamp{});
}

// Writes objects the way a backup-push leaves them: into a directory storage (with chosen
// modification times) or through `st put` (s3rver sets LastModified itself).
class BackupWriter {
 public:
  explicit BackupWriter(CliRunner& cli, bool directory) : cli_(cli), directory_(directory) {}

  void Put(const std::string& key, const std::string& content,
           std::optional<Timestamp> mtime = std::nullopt) {
    if (directory_) {
      const fs::path path = fs::path(cli_.storage_dir()) / key;
      fs::create_directories(path.parent_path());
      WriteFile(path, content);
      if (mtime) fs::last_write_time(path, std::chrono::file_clock::from_sys(*mtime));
      return;
    }
    CommandResult r = cli_.Run("st put --no-compress --no-encrypt - " + key, content);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // A complete backup: tar, metadata.json, then the sentinel (last, as backup-push).
  void Backup(const std::string& name, const ExtendedMetadata& m,
              std::optional<Timestamp> sentinel_mtime = {}) {
    BackupSentinel s;
    s.lsn = m.start_lsn;
    s.finish_lsn = m.finish_lsn;
    s.pg_version = m.pg_version;
    s.system_identifier = m.system_identifier;
    s.uncompressed_size = m.uncompressed_size;
    s.compressed_size = m.compressed_size;
    s.start_time = m.start_time;
    s.finish_time = m.finish_time;
    s.hostname = m.hostname;
    s.data_dir = m.data_dir;
    s.is_permanent = m.is_permanent;
    const size_t delta = name.find("_D_");
    if (delta != std::string::npos) {
      s.delta_from = "base_" + name.substr(delta + 3);
      s.delta_full_name = s.delta_from;
      s.delta_lsn = m.start_lsn - 1;
      s.delta_count = 1;
    }
    Put(BackupTarPartitionsKey(name) + "part_001.tar.lz4", "not really a tar");
    Put(BackupMetadataKey(name), SerializeExtendedMetadata(m));
    Put(BackupSentinelKey(name), SerializeBackupSentinel(s), sentinel_mtime);
    // s3rver keeps LastModified in whole seconds: make the next sentinel's differ.
    if (!directory_) std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  }

 private:
  CliRunner& cli_;
  bool directory_;
};

ExtendedMetadata Metadata(const std::string& start, pg::Lsn lsn, bool permanent = false) {
  ExtendedMetadata m;
  m.start_time = Time(start);
  m.finish_time = m.start_time + std::chrono::seconds(17);
  m.hostname = "pghost";
  m.data_dir = "/var/lib/postgresql/15/main";
  m.pg_version = 150004;
  m.start_lsn = lsn;
  m.finish_lsn = lsn + 0x2000;
  m.is_permanent = permanent;
  m.system_identifier = 7507672962298572862ull;
  m.uncompressed_size = 1000;
  m.compressed_size = 400;
  return m;
}

class BackupListTest : public ::testing::Test {
 protected:
  void SetUp() override { cli_.UseFileStorage(); }

  // Three backups whose sentinels were written in an order that differs from their names'.
  void WriteThreeBackups() {
    writer_.Backup("base_000000010000000000000009", Metadata("2025-03-01T02:00:01.5Z", 0x9000028),
                   Time("2025-03-01T02:00:19.25Z"));
    writer_.Backup("base_00000001000000000000000B_D_000000010000000000000009",
                   Metadata("2025-03-01T05:00:01Z", 0xB000028, /*permanent=*/true),
                   Time("2025-03-01T05:00:19.5Z"));
    writer_.Backup("base_000000010000000000000004",
                   Metadata("2025-03-02T02:00:01.123456789Z", 0x4000028),
                   Time("2025-03-02T02:00:19Z"));
  }

  CliRunner cli_;
  BackupWriter writer_{cli_, /*directory=*/true};
};

TEST_F(BackupListTest, NoBackups) {
  CommandResult r = cli_.Run("backup-list");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("INFO: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No backups found"), std::string::npos) << r.err;
  for (const char* flags : {"--json", "--json --detail", "--json --pretty"}) {
    r = cli_.Run(std::string("backup-list ") + flags);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "[]\n") << flags;
  }
  // Something that is not a complete backup (no sentinel) is not listed.
  writer_.Put(BackupMetadataKey("base_000000010000000000000002"), "{}");
  writer_.Put(BackupTarPartitionsKey("base_000000010000000000000002") + "part_001.tar.lz4", "x");
  r = cli_.Run("backup-list --detail");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(BackupListTest, PlainOutputIsWalGsTabwriterTable) {
  WriteThreeBackups();
  CommandResult r = cli_.Run("backup-list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "backup_name                                              modified             "
            "wal_file_name            "
            "storage_name\n"
            "base_000000010000000000000009                            2025-03-01T02:00:19Z "
            "000000010000000000000009 "
            "default\n"
            "base_00000001000000000000000B_D_000000010000000000000009 2025-03-01T05:00:19Z "
            "00000001000000000000000B "
            "default\n"
            "base_000000010000000000000004                            2025-03-02T02:00:19Z "
            "000000010000000000000004 "
            "default\n");
  // What scripts do: the newest backup is the last line's first word; the first is line 2.
  CommandResult tail = RunCommand(cli_.CommandLine("backup-list") + " | tail -n 1 | cut -f1 -d' '");
  EXPECT_EQ(tail.out, "base_000000010000000000000004\n");
  CommandResult second =
      RunCommand(cli_.CommandLine("backup-list") + " | sed '2q;d' | cut -f1 -d' '");
  EXPECT_EQ(second.out, "base_000000010000000000000009\n");
}

TEST_F(BackupListTest, DetailAddsMetadataColumnsEndingInPermanence) {
  WriteThreeBackups();
  CommandResult r = cli_.Run("backup-list --detail");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[0],
            "backup_name                                              modified             "
            "wal_file_name            "
            "storage_name start_time           finish_time          hostname data_dir              "
            "      pg_version "
            "start_lsn finish_lsn is_permanent");
  EXPECT_EQ(lines[2],
            "base_00000001000000000000000B_D_000000010000000000000009 2025-03-01T05:00:19Z "
            "00000001000000000000000B "
            "default      2025-03-01T05:00:01Z 2025-03-01T05:00:18Z pghost   "
            "/var/lib/postgresql/15/main 150004     "
            "0/B000028 0/B002028  true");
  EXPECT_TRUE(lines[1].ends_with(" false"));
  EXPECT_TRUE(lines[3].starts_with("base_000000010000000000000004 "));
}

TEST_F(BackupListTest, DetailSortsByStartTimeWhenEveryBackupHasOne) {
  // Sentinel times disagree with start times (a backup copied later): start time wins.
  writer_.Backup("base_000000010000000000000004", Metadata("2025-03-02T02:00:00Z", 0x4000028),
                 Time("2025-03-05T00:00:00Z"));
  writer_.Backup("base_000000010000000000000009", Metadata("2025-03-03T02:00:00Z", 0x9000028),
                 Time("2025-03-04T00:00:00Z"));
  auto names = [](const std::string& out) {
    std::vector<std::string> result;
    for (const auto& line : Lines(out)) result.push_back(line.substr(0, line.find(' ')));
    return result;
  };
  EXPECT_EQ(names(cli_.Run("backup-list").out),
            (std::vector<std::string>{"backup_name", "base_000000010000000000000009",
                                      "base_000000010000000000000004"}));
  EXPECT_EQ(names(cli_.Run("backup-list --detail").out),
            (std::vector<std::string>{"backup_name", "base_000000010000000000000004",
                                      "base_000000010000000000000009"}));
}

TEST_F(BackupListTest, JsonAndPrettyJson) {
  WriteThreeBackups();
  CommandResult r = cli_.Run("backup-list --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "compact JSON on one line";
  Json array = Json::parse(r.out);
  ASSERT_EQ(array.size(), 3u);
  EXPECT_EQ(array[0].dump(),
            R"({"backup_name":"base_000000010000000000000009","time":"2025-03-01T02:00:19.25Z",)"
            R"("wal_file_name":"000000010000000000000009","storage_name":"default"})");
  EXPECT_EQ(array[2]["time"], "2025-03-02T02:00:19Z");

  CommandResult pretty = cli_.Run("backup-list --json --pretty");
  ASSERT_EQ(pretty.exit_code, 0) << pretty.err;
  EXPECT_EQ(Json::parse(pretty.out), array);
  EXPECT_TRUE(pretty.out.starts_with(
      "[\n    {\n        \"backup_name\": \"base_000000010000000000000009\",\n"))
      << pretty.out;

  CommandResult detail = cli_.Run("backup-list --json --detail");
  ASSERT_EQ(detail.exit_code, 0) << detail.err;
  Json details = Json::parse(detail.out);
  ASSERT_EQ(details.size(), 3u);
  EXPECT_EQ(details[1]["start_lsn"], 0xB000028u);
  EXPECT_TRUE(details[1]["start_lsn"].is_number_unsigned());
  EXPECT_EQ(details[1]["is_permanent"], true);
  EXPECT_EQ(details[2]["start_time"], "2025-03-02T02:00:01.123456789Z");
}

TEST_F(BackupListTest, DetailJsonReproducesWalGsOutputField_for_field) {
  // The backups of WAL-G's own backup-list --detail --json sample, rebuilt in storage with the
  // same sentinel times: Walnut prints the same document (same fields, order, types, values).
  const Json fixture =
      Json::parse(ReadFile(std::string(WALNUT_TEST_SOURCE_DIR) +
                           "/tests/unit/backup/testdata/walg-backup-list-detail.json"));
  for (const Json& entry : fixture) {
    ExtendedMetadata m = ParseExtendedMetadata(entry.dump(), "fixture");
    writer_.Backup(entry["backup_name"], m, Time(entry["time"]));
  }
  CommandResult r = cli_.Run("backup-list --detail --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out), fixture);
  // The plain listing of the same storage: one line per backup, delta names included.
  CommandResult plain = cli_.Run("backup-list");
  EXPECT_EQ(Lines(plain.out).size(), fixture.size() + 1);
}

TEST_F(BackupListTest, DetailJsonCarriesUserDataAsGoReencodesIt) {
  ExtendedMetadata m = Metadata("2025-03-01T02:00:01Z", 0x9000028);
  m.user_data = R"({"zone":"b","app":{"y":1,"x":[true,null]}})";
  writer_.Backup("base_000000010000000000000009", m);
  CommandResult r = cli_.Run("backup-list --detail --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Go decodes user data into a map and encodes it again: keys sorted at every level.
  EXPECT_NE(r.out.find(
                R"("compressed_size":400,"user_data":{"app":{"x":[true,null],"y":1},"zone":"b"}})"),
            std::string::npos)
      << r.out;
}

TEST_F(BackupListTest, PrettyTables) {
  WriteThreeBackups();
  CommandResult r = cli_.Run("backup-list --pretty");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 7u) << r.out;
  EXPECT_EQ(lines[0], lines[2]);
  EXPECT_EQ(lines[0], lines[6]);
  EXPECT_EQ(lines[1],
            "| # | BACKUP NAME                                              | MODIFIED             "
            "            | "
            "WAL FILE NAME            | STORAGE NAME |");
  EXPECT_EQ(lines[3],
            "| 0 | base_000000010000000000000009                            | Saturday, 01-Mar-25 "
            "02:00:19 UTC | "
            "000000010000000000000009 | default      |");
  r = cli_.Run("backup-list --pretty --detail");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| PERMANENT |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| 0/B000028 "), std::string::npos) << r.out;
}

TEST_F(BackupListTest, CorruptMetadataFailsDetailWithOneErrorNamingTheObject) {
  WriteThreeBackups();
  writer_.Put(BackupMetadataKey("base_000000010000000000000004"), "{\"start_lsn\": \"0/4000028\"}");
  CommandResult r = cli_.Run("backup-list --detail");
  EXPECT_EQ(r.exit_code, 1);
  ExpectOneErrorLine(r, "basebackups_005/base_000000010000000000000004/metadata.json");
  EXPECT_EQ(r.out, "");
  // The plain list reads only the listing: still fine.
  EXPECT_EQ(cli_.Run("backup-list").exit_code, 0);
  // A sentinel-only backup (metadata.json lost) falls back to the v2 sentinel's copy.
  fs::remove(fs::path(cli_.storage_dir()) / BackupMetadataKey("base_000000010000000000000004"));
  r = cli_.Run("backup-list --detail --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)[2]["start_lsn"], 0x4000028u);
}

TEST(BackupListS3Test, ListsAndDetailsOnS3rver) {
  CliRunner cli;
  cli.UseS3Storage("backup-list");
  BackupWriter writer(cli, /*directory=*/false);
  EXPECT_EQ(cli.Run("backup-list --json").out, "[]\n");
  writer.Backup("base_000000010000000000000009", Metadata("2025-03-01T02:00:01.5Z", 0x9000028));
  writer.Backup("base_00000001000000000000000B_D_000000010000000000000009",
                Metadata("2025-03-01T05:00:01Z", 0xB000028, true));
  writer.Backup("base_000000010000000000000004", Metadata("2025-03-02T02:00:01Z", 0x4000028));
  // A sentinel-like object one level deeper is not a backup (non-recursive listing).
  writer.Put("basebackups_005/old/base_000000010000000000000001_backup_stop_sentinel.json", "{}");

  CommandResult r = cli.Run("backup-list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_TRUE(lines[0].starts_with("backup_name "));
  EXPECT_TRUE(lines[1].starts_with("base_000000010000000000000009 "));  // oldest sentinel first
  EXPECT_TRUE(lines[3].starts_with("base_000000010000000000000004 "));  // newest last
  r = cli.Run("backup-list --detail --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json details = Json::parse(r.out);
  ASSERT_EQ(details.size(), 3u);
  EXPECT_EQ(details[1]["backup_name"], "base_00000001000000000000000B_D_000000010000000000000009");
  EXPECT_EQ(details[1]["is_permanent"], true);
  EXPECT_EQ(details[1]["system_identifier"], 7507672962298572862ull);
  EXPECT_TRUE(ParseRfc3339(details[1]["time"].get<std::string>()));
}

}  // namespace
}  // namespace walnut::testing
