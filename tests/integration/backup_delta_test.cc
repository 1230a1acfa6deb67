// Delta backups end to end with real PostgreSQL 15 (docs/backup-format.md): backup-push under
// pgbench load makes a full and deltas (checked through their sentinels: names with _D_,
// DeltaFrom / DeltaCount / DeltaFullName / DeltaLSN, sizes), and every backup of the chain is
// restored to a named restore point taken right after it and must dump exactly what the source
// held there and pass amcheck. Between the deltas the source drops and creates tables (no "ghost"
// file may come back from the base), truncates and shrinks relations, runs VACUUM FULL and
// REINDEX. Also: WALG_DELTA_MAX_STEPS, WALG_DELTA_ORIGIN, --delta-from-name/-user-data, --full,
// and a damaged increment failing backup-fetch with one clear error.

#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/backup_history.h"
#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/pg_cluster.h"
#include "support/test_util.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

class BackupDeltaIt : public ::testing::Test {
 protected:
  static Json FilesMetadata(const WalnutConfig& config, const std::string& name) {
    return BackupJson(config, name + "/files_metadata.json");
  }

  // The sentinel of a full backup has no delta fields and a name without _D_.
  static void ExpectFull(const WalnutConfig& config, const std::string& name) {
    EXPECT_EQ(name.find("_D_"), std::string::npos) << name << " is not a full backup";
    Json s = SentinelJson(config, name);
    EXPECT_FALSE(s.contains("DeltaFrom") && !s["DeltaFrom"].get<std::string>().empty())
        << name << ": " << s.dump();
    EXPECT_FALSE(s.contains("DeltaCount") && s["DeltaCount"].get<int>() != 0)
        << name << ": " << s.dump();
  }

  // `name` is a delta of `base` at `count` steps from the full `full`, named as WAL-G names it.
  static void ExpectDelta(const WalnutConfig& config, const std::string& name,
                          const std::string& base, const std::string& full, int count) {
    ASSERT_EQ(base.rfind("base_", 0), 0u) << base;
    EXPECT_TRUE(name.ends_with("_D_" + base.substr(5, 24)))
        << name << " is not named as a delta of " << base;
    Json s = SentinelJson(config, name);
    Json b = SentinelJson(config, base);
    EXPECT_EQ(s.value("DeltaFrom", ""), base) << name << ": " << s.dump();
    EXPECT_EQ(s.value("DeltaFullName", ""), full) << name << ": " << s.dump();
    EXPECT_EQ(s.value("DeltaCount", 0), count) << name << ": " << s.dump();
    ASSERT_TRUE(s.contains("DeltaLSN") && b.contains("LSN")) << name << ": " << s.dump();
    EXPECT_EQ(s["DeltaLSN"], b["LSN"]) << name << "'s DeltaLSN is not " << base << "'s LSN";
  }

  BackupSource source_;
};

// The issue's chain: a full and three deltas under load, with the changes deltas get wrong
// between them, each backup restored and compared.
TEST_F(BackupDeltaIt, FullAndThreeDeltasUnderLoadEachRestoresExactly_DirectoryLz4Libsodium) {
  WalnutConfig config(TestStorage::kDirectory, "delta-chain");
  config.SetCompression("lz4");
  config.SetLibsodiumKey(kTestLibsodiumKeyHex);
  config.Set("WALG_DELTA_MAX_STEPS", "3");
  source_.StartArchiving(config);
  source_.Query(
      "CREATE TABLE ghost AS SELECT g AS id, repeat('g', 200) AS pad FROM generate_series(1, "
      "5000) g;"
      "CREATE TABLE emptied AS SELECT g AS id, repeat('t', 200) AS pad FROM generate_series(1, "
      "5000) g;"
      "CREATE TABLE shrunk AS SELECT g AS id, repeat('s', 200) AS pad FROM generate_series(1, "
      "20000) g;"
      "ALTER TABLE shrunk SET (autovacuum_enabled = off)");

  const TakenBackup full = source_.PushAndRecord(config, "", true);
  source_.Pgbench("-n -c 1 -t 100");
  const TakenBackup d1 = source_.PushAndRecord(config, "", true);

  // Between delta 1 and 2: a dropped table and a new one under another name; TRUNCATE (a new
  // relfilenode) and fewer rows again; a relation truncated in place by VACUUM and re-extended.
  const std::string ghost_path = source_.Query("SELECT pg_relation_filepath('ghost')");
  const std::string shrunk_path = source_.Query("SELECT pg_relation_filepath('shrunk')");
  const int64_t shrunk_before = std::stoll(source_.Query("SELECT pg_relation_size('shrunk')"));
  source_.Query("DROP TABLE ghost");
  source_.Query(
      "CREATE TABLE newcomer AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 3000) g");
  source_.Query("TRUNCATE emptied");
  source_.Query("INSERT INTO emptied SELECT g, repeat('u', 100) FROM generate_series(1, 700) g");
  source_.Query("DELETE FROM shrunk");
  source_.Query("VACUUM shrunk");
  source_.Query("INSERT INTO shrunk SELECT g, repeat('r', 50) FROM generate_series(1, 3000) g");
  source_.Query("CHECKPOINT");  // unlinks the dropped table's file
  ASSERT_FALSE(fs::exists(source_.data_dir() / ghost_path)) << "precondition: " << ghost_path;
  ASSERT_EQ(source_.Query("SELECT pg_relation_filepath('shrunk')"), shrunk_path)
      << "precondition: VACUUM keeps the file";
  const std::string shrunk_size = source_.Query("SELECT pg_relation_size('shrunk')");
  ASSERT_LT(std::stoll(shrunk_size), shrunk_before) << "precondition: the file shrank";
  const TakenBackup d2 = source_.PushAndRecord(config, "", true);

  // Between delta 2 and 3: a table rewritten by VACUUM FULL and an index rebuilt.
  const std::string tellers_index =
      source_.Query("SELECT pg_relation_filepath('pgbench_tellers_pkey')");
  source_.Query("VACUUM FULL pgbench_accounts");
  source_.Query("REINDEX INDEX pgbench_tellers_pkey");
  ASSERT_NE(source_.Query("SELECT pg_relation_filepath('pgbench_tellers_pkey')"), tellers_index);
  const TakenBackup d3 = source_.PushAndRecord(config, "", true);
  source_.ArchiveAll();
  source_.Stop();

  ExpectFull(config, full.name);
  ExpectDelta(config, d1.name, full.name, full.name, 1);
  ExpectDelta(config, d2.name, d1.name, full.name, 2);
  ExpectDelta(config, d3.name, d2.name, full.name, 3);

  // A delta stores the changed pages, not the database.
  const Json full_sentinel = SentinelJson(config, full.name);
  const Json d1_sentinel = SentinelJson(config, d1.name);
  const int64_t full_size = full_sentinel.value("CompressedSize", int64_t{0});
  const int64_t d1_size = d1_sentinel.value("CompressedSize", int64_t{0});
  std::printf(
      "[ measure ] full %lld bytes, delta 1 %lld bytes (%.1f %%)\n",
      static_cast<long long>(full_size), static_cast<long long>(d1_size),
      full_size > 0 ? 100.0 * static_cast<double>(d1_size) / static_cast<double>(full_size) : 0.0);
  EXPECT_GT(d1_size, 0);
  EXPECT_LT(d1_size * 2, full_size) << "delta 1 is not much smaller than the full";

  // Its files_metadata.json lists increments (with the SHA-256 of the stored increment) and the
  // whole data directory, the dropped table no more from delta 2 on.
  const Json d1_files = FilesMetadata(config, d1.name).value("Files", Json::object());
  int increments = 0;
  for (const auto& [path, file] : d1_files.items()) {
    if (file.value("IsIncremented", false)) {
      ++increments;
      // A relation's main fork (<relfilenode>[.<segment>]); the _fsm and _vm forks go whole.
      EXPECT_TRUE(
          std::regex_match(path, std::regex(R"(/(base/\d+|global|pg_tblspc/.+)/\d+(\.\d+)?)")))
          << path;
    }
  }
  EXPECT_GT(increments, 0) << "delta 1 has no increment";
  EXPECT_TRUE(d1_files.contains("/" + ghost_path));
  EXPECT_TRUE(d1_files.contains("/PG_VERSION"));
  const Json d2_files = FilesMetadata(config, d2.name).value("Files", Json::object());
  EXPECT_FALSE(d2_files.contains("/" + ghost_path)) << ghost_path << " is listed in " << d2.name;
  EXPECT_TRUE(d2_files.contains("/" + shrunk_path));

  RestoreAndCheck(config, full);
  RestoreAndCheck(config, d1);
  auto no_ghost = [&](const fs::path& data) {
    EXPECT_FALSE(fs::exists(data / ghost_path))
        << "the dropped table's file " << ghost_path << " came back from " << full.name;
    std::error_code ec;
    EXPECT_EQ(std::to_string(fs::file_size(data / shrunk_path, ec)), shrunk_size)
        << shrunk_path << " was not truncated to its size at " << d2.name << " " << ec.message();
  };
  // Both orders: newest first (the default) and oldest first, where a ghost would come back.
  RestoreAndCheck(
      config, d2,
      {.fetch_args = "--reverse-unpack --skip-redundant-tars", .before_start = no_ghost});
  RestoreAndCheck(config, d2, {.fetch_args = "--reverse-unpack=false", .before_start = no_ghost});
  TakenBackup latest = d3;
  latest.name = "LATEST";
  RestoreAndCheck(config, latest);
  RestoreAndCheck(config, d3, {.fetch_args = "--reverse-unpack=false"});

  // A flipped byte in the newest delta's encrypted, compressed part: one clear error, no
  // pg_control.
  const fs::path part =
      config.storage_dir() / "basebackups_005" / d3.name / "tar_partitions" / "part_001.tar.lz4";
  std::string bytes = ReadFile(part);
  ASSERT_GT(bytes.size(), 1000u);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5a);
  WriteFile(part, bytes);
  GrantToPgRunUser(part);
  TempDir target;
  GrantToPgRunUser(target.path());
  CommandResult r =
      config.Run("backup-fetch " + ShellQuote((target.path() / "data").string()) + " LATEST");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ExpectOneErrorLine(r, {d3.name, "part_001.tar.lz4"});
  EXPECT_FALSE(fs::exists(target.path() / "data/global/pg_control"));
}

// WALG_DELTA_MAX_STEPS, WALG_DELTA_ORIGIN, --delta-from-name, --delta-from-user-data and --full
// choose the base as WAL-G does; a delta of an older full restores exactly.
// On each S3 server (s3rver; Ceph RGW, which checks signatures as AWS does).
class BackupDeltaS3It : public BackupDeltaIt, public ::testing::WithParamInterface<TestStorage> {};

TEST_P(BackupDeltaS3It, BaseSelectionFollowsMaxStepsOriginAndFlags_Zstd) {
  WALNUT_SKIP_UNLESS_AVAILABLE(GetParam());
  WalnutConfig config(GetParam(), "delta-steps");
  config.SetCompression("zstd");
  source_.StartArchiving(config);
  auto change = [&] { source_.Pgbench("-n -c 1 -t 50"); };

  // Without WALG_DELTA_MAX_STEPS every push is a full.
  const std::string p1 = source_.Push(config, "--add-user-data '{\"tag\":\"first\"}'");
  ExpectFull(config, p1);
  config.Set("WALG_DELTA_MAX_STEPS", "2");
  change();
  const std::string p2 = source_.Push(config);
  ExpectDelta(config, p2, p1, p1, 1);
  change();
  const std::string p3 = source_.Push(config, "--full=false");
  ExpectDelta(config, p3, p2, p1, 2);
  change();
  const std::string p4 = source_.Push(config, "--add-user-data '{\"tag\":\"second\"}'");
  ExpectFull(config, p4);  // a third step would exceed the limit
  change();
  const std::string p5 = source_.Push(config);
  ExpectDelta(config, p5, p4, p4, 1);

  config.Set("WALG_DELTA_ORIGIN", "LATEST_FULL");
  change();
  const std::string p6 = source_.Push(config);
  ASSERT_NE(p6.find("_D_"), std::string::npos) << p6;
  EXPECT_EQ(SentinelJson(config, p6).value("DeltaFrom", ""), p4);
  EXPECT_EQ(SentinelJson(config, p6).value("DeltaFullName", ""), p4);
  config.Unset("WALG_DELTA_ORIGIN");

  change();
  const std::string p7 = source_.Push(config, "--delta-from-user-data '{\"tag\":\"first\"}'");
  ExpectDelta(config, p7, p1, p1, 1);
  change();
  source_.Query("CREATE TABLE after_p7 AS SELECT g FROM generate_series(1, 1000) g");
  const TakenBackup p8 = source_.PushAndRecord(config, "--delta-from-name " + p2);
  ExpectDelta(config, p8.name, p2, p1, 2);
  change();
  const std::string p9 = source_.Push(config, "-f");
  ExpectFull(config, p9);
  source_.ArchiveAll();
  source_.Stop();
  RestoreAndCheck(config, p8);
}

INSTANTIATE_TEST_SUITE_P(S3Servers, BackupDeltaS3It, ::testing::ValuesIn(kS3Servers),
                         TestStorageParamName);
// And over SFTP, on the fixture's OpenSSH server.
INSTANTIATE_TEST_SUITE_P(Sftp, BackupDeltaS3It, ::testing::Values(TestStorage::kSftp),
                         TestStorageParamName);
// And on Azure Blob Storage, in the fixture's azurite.
INSTANTIATE_TEST_SUITE_P(Azure, BackupDeltaS3It, ::testing::Values(TestStorage::kAzure),
                         TestStorageParamName);
// And on the scripted GCS server (support/gcs_server.h).
INSTANTIATE_TEST_SUITE_P(Gcs, BackupDeltaS3It, ::testing::Values(TestStorage::kGcs),
                         TestStorageParamName);

// A damaged increment: backup-fetch fails with one ERROR line naming the backup, and the target
// never gets a pg_control (PostgreSQL cannot start on it).
TEST_F(BackupDeltaIt, ADamagedIncrementFailsTheFetchClearly_DirectoryNoCompression) {
  WalnutConfig config(TestStorage::kDirectory, "delta-damaged");
  config.SetCompression("none");
  config.Set("WALG_DELTA_MAX_STEPS", "1");
  source_.StartArchiving(config);
  const std::string full = source_.Push(config);
  source_.Pgbench("-n -c 1 -t 200");
  const std::string delta = source_.Push(config);
  ExpectDelta(config, delta, full, full, 1);
  source_.ArchiveAll();
  source_.Stop();

  // The tar that holds the delta's first increment.
  const Json metadata = FilesMetadata(config, delta);
  std::set<std::string> incremented;
  const Json files = metadata.value("Files", Json::object());
  const Json tar_sets = metadata.value("TarFileSets", Json::object());
  for (const auto& [path, file] : files.items()) {
    if (file.value("IsIncremented", false)) incremented.insert(path);
  }
  ASSERT_FALSE(incremented.empty()) << "no increment in " << delta;
  std::string tar_name;
  for (const auto& [tar, paths] : tar_sets.items()) {
    for (const auto& p : paths) {
      if (tar_name.empty() && incremented.contains(p.get<std::string>())) tar_name = tar;
    }
  }
  ASSERT_FALSE(tar_name.empty()) << "the increments are in no tar";
  const fs::path tar =
      config.storage_dir() / "basebackups_005" / delta / "tar_partitions" / tar_name;
  const std::string original = ReadFile(tar);

  // An increment with at least one page: it starts at a 512-byte tar block with 'w' 'i' '1' 0x55
  // and holds its block count at +12 (little-endian).
  size_t at = 0;
  for (; at + 512 <= original.size(); at += 512) {
    if (original.compare(at, 4, std::string("wi1\x55", 4)) == 0 && original[at + 12] != 0 &&
        original.compare(at + 13, 3, std::string(3, '\0')) == 0)
      break;  // 1 to 255 pages
  }
  ASSERT_LT(at + 512, original.size()) << tar_name << " holds no increment with pages";

  auto fetch_fails = [&](const std::string& damaged, const std::string& what) {
    SCOPED_TRACE(what);
    WriteFile(tar, damaged);
    GrantToPgRunUser(tar);
    TempDir target;
    GrantToPgRunUser(target.path());
    CommandResult r =
        config.Run("backup-fetch " + ShellQuote((target.path() / "data").string()) + " " + delta);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    ExpectOneErrorLine(r, delta);
    EXPECT_FALSE(fs::exists(target.path() / "data/global/pg_control"));
  };
  // A header that is not an increment's.
  std::string damaged = original;
  damaged[at + 3] = 0x56;
  fetch_fails(damaged, "bad signature");
  // A block number beyond the file's size (the file size is at +4, the first block at +16).
  damaged = original;
  damaged[at + 19] = 0x7f;
  fetch_fails(damaged, "block beyond the file");
  // A flipped byte in a page: only the SHA-256 Walnut records can tell.
  damaged = original;
  const size_t page_byte = at + 1024 + 100;  // the header is at most 16 + 4 x 124 bytes
  ASSERT_LT(page_byte, damaged.size());
  damaged[page_byte] = static_cast<char>(damaged[page_byte] ^ 0x5a);
  fetch_fails(damaged, "flipped page byte");

  WriteFile(tar, original);
  GrantToPgRunUser(tar);
  TempDir target;
  GrantToPgRunUser(target.path());
  CommandResult r =
      config.Run("backup-fetch " + ShellQuote((target.path() / "data").string()) + " " + delta);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace walnut::testing
