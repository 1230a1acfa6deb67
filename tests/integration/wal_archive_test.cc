// WAL archiving and archive recovery with a real PostgreSQL 15: the built binary as
// archive_command (wal-push) and restore_command (wal-fetch), on a local directory and on s3rver,
// with the faults an archive meets in production (storage down, a killed push, a corrupt object,
// another cluster's WAL).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/fault_proxy.h"
#include "support/pg_cluster.h"
#include "support/test_util.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A string literal for postgresql.conf.

// The WAL file an archived object holds: "000000010000000000000003.lz4" -> "0000...03",
// "00000002.history.zst" -> "00000002.history", "0000...02.00000028.backup.lz4" -> without ".lz4".
std::string WalNameOf(const std::string& object) {
  for (const std::string& suffix :
       {std::string(".history"), std::string(".partial"), std::string(".backup")}) {
    size_t at = object.find(suffix);
    if (at != std::string::npos) return object.substr(0, at + suffix.size());
  }
  return object.substr(0, std::min<size_t>(object.size(), 24));
}

bool IsSegmentName(const std::string& name) {
  return name.size() == 24 && name.find_first_not_of("0123456789ABCDEF") == std::string::npos;
}

struct StorageCase {
  std::string name;
  TestStorage storage;
  std::string compression;
  bool encrypt;
};

std::string CaseName(const ::testing::TestParamInfo<StorageCase>& param_info) {
  return param_info.param.name;
}

std::unique_ptr<WalnutConfig> MakeConfig(const StorageCase& c) {
  auto config = std::make_unique<WalnutConfig>(c.storage, "wal-" + c.name);
  config->SetCompression(c.compression);
  if (c.encrypt) config->SetLibsodiumKey(kTestLibsodiumKeyHex);
  return config;
}

// A primary that archives through `config`. It keeps its WAL (so archived segments can be compared
// with the originals) and does not fsync (speed; no test crashes PostgreSQL itself).
void StartArchivingPrimary(PgCluster& pg, const WalnutConfig& config) {
  pg.InitDb();
  pg.Configure({"archive_mode = on", "archive_command = " + ConfQuote(config.ArchiveCommand()),
                "wal_keep_size = '1GB'", "max_wal_size = '1GB'", "fsync = off"});
  pg.Start();
}

// Writes a row and switches to a new segment, so that there is always something to switch away
// from (pg_switch_wal on an empty segment is a no-op). Returns the completed segment.
std::string WriteAndSwitch(const PgCluster& pg) {
  pg.Query(
      "CREATE TABLE IF NOT EXISTS switches (at timestamptz); INSERT INTO switches VALUES (now())");
  return pg.SwitchWal();
}

// Sets up `recovering` to replay everything in the archive from the base backup in its data
// directory, then promote.
void RecoverFromArchive(PgCluster& recovering, const WalnutConfig& config, bool archive,
                        const std::vector<std::string>& extra = {}) {
  std::vector<std::string> lines = {"restore_command = " + ConfQuote(config.RestoreCommand()),
                                    "recovery_target_action = 'promote'",
                                    std::string("archive_mode = ") + (archive ? "on" : "off")};
  lines.insert(lines.end(), extra.begin(), extra.end());
  recovering.Configure(lines);
  recovering.SignalRecovery();
  recovering.Start();
  recovering.WaitForPromotion(60);
}

// Every file the archiver reported done is in the archive, exactly once, under its name plus the
// codec's extension.
void ExpectArchivedFilesStored(const PgCluster& pg, const WalnutConfig& config,
                               const std::string& extension) {
  std::vector<std::string> objects = config.ListObjects("wal_005");
  std::map<std::string, int> copies;
  for (const auto& object : objects) {
    ++copies[WalNameOf(object)];
    EXPECT_EQ(object, WalNameOf(object) + extension) << "unexpected object name";
  }
  std::vector<std::string> done = pg.ArchivedFiles();
  EXPECT_FALSE(done.empty());
  for (const auto& name : done) {
    EXPECT_EQ(copies[name], 1) << name << " is archived " << copies[name]
                               << " times; objects: " << ::testing::PrintToString(objects);
  }
}

// Every segment the archiver reported done, fetched back with wal-fetch, equals the original in
// pg_wal: nothing lost, nothing half-written, no stale duplicate won.
void ExpectArchiveMatchesPgWal(const PgCluster& pg, const WalnutConfig& config) {
  TempDir restore;
  GrantToPgRunUser(restore.path());
  int compared = 0;
  for (const auto& name : pg.ArchivedFiles()) {
    if (!IsSegmentName(name)) continue;
    fs::path original = pg.data_dir() / "pg_wal" / name;
    if (!fs::exists(original)) continue;  // recycled by a checkpoint
    fs::path fetched = restore.path() / name;
    CommandResult r = config.Run("wal-fetch " + name + " " + ShellQuote(fetched.string()));
    ASSERT_EQ(r.exit_code, 0) << "wal-fetch " << name << ": " << r.err;
    EXPECT_TRUE(ReadFile(fetched) == ReadFile(original)) << name << " differs from the archive";
    ++compared;
  }
  EXPECT_GT(compared, 0);
}

// Polls `condition` every 100 ms until it holds or `seconds` pass.
template <class Fn>
bool WaitFor(Fn condition, int seconds) {
  auto deadline = Clock::now() + std::chrono::seconds(seconds);
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

// Every regular file under `dir` with its bytes.
std::map<std::string, std::string> Snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file())
      files[fs::relative(entry.path(), dir).string()] = ReadFile(entry.path());
  }
  return files;
}

class WalArchiveRoundTripTest : public ::testing::TestWithParam<StorageCase> {};

// The main round trip: PostgreSQL archives a pgbench load through wal-push, a second cluster
// restored from a WAL-less base backup replays all of it through wal-fetch and ends with the same
// data.
TEST_P(WalArchiveRoundTripTest, ArchivesEverySegmentAndRecoversTheSameData) {
  auto config = MakeConfig(GetParam());
  PgCluster source;
  StartArchivingPrimary(source, *config);

  PgCluster restored;
  source.BaseBackup(restored.data_dir());  // -X none: every segment must come from the archive

  source.Pgbench("-i -s 2 -q");
  source.Pgbench("-c 2 -T 3");
  for (int i = 0; i < 2; ++i) WriteAndSwitch(source);
  std::string last = WriteAndSwitch(source);
  source.WaitForArchived(last);
  EXPECT_EQ(source.Archiver().failed_count, 0) << source.ServerLog();
  ExpectArchivedFilesStored(source, *config, ExtensionOf(GetParam().compression));
  EXPECT_GE(source.ArchivedFiles().size(), 4u);

  RecoverFromArchive(restored, *config, /*archive=*/false);
  EXPECT_EQ(restored.Query("SELECT count(*) FROM pgbench_accounts"), "200000");
  EXPECT_TRUE(restored.DumpAll() == source.DumpAll()) << "the recovered cluster's data differs";
  EXPECT_NE(restored.ServerLog().find("restored log file \"" + last + "\" from archive"),
            std::string::npos)
      << restored.ServerLog();
}

// A promoted cluster archives its timeline history and new-timeline segments, and a later
// recovery from the same base backup follows the archive onto that timeline.
TEST_P(WalArchiveRoundTripTest, RecoveryFollowsAPromotedClusterOntoItsTimeline) {
  auto config = MakeConfig(GetParam());
  PgCluster source;
  StartArchivingPrimary(source, *config);
  PgCluster promoted;
  PgCluster follower;
  source.BaseBackup(promoted.data_dir());
  ASSERT_EQ(RunCommand("cp -a " + ShellQuote(promoted.data_dir().string()) + " " +
                       ShellQuote(follower.data_dir().string()))
                .exit_code,
            0);

  source.Pgbench("-i -s 1 -q");
  source.WaitForArchived(WriteAndSwitch(source));
  source.Stop();

  // Recovers timeline 1, promotes to timeline 2 and archives 00000002.history.
  RecoverFromArchive(promoted, *config, /*archive=*/true);
  promoted.Pgbench("-c 2 -T 2");
  std::string last = WriteAndSwitch(promoted);
  ASSERT_EQ(last.substr(0, 8), "00000002");
  promoted.WaitForArchived(last);
  EXPECT_EQ(promoted.Archiver().failed_count, 0) << promoted.ServerLog();
  std::vector<std::string> objects = config->ListObjects("wal_005");
  std::set<std::string> names;
  for (const auto& object : objects) names.insert(WalNameOf(object));
  EXPECT_TRUE(names.count("00000002.history")) << ::testing::PrintToString(objects);
  EXPECT_TRUE(names.count(last)) << ::testing::PrintToString(objects);

  // The follower replays timeline 1, then timeline 2 from the history file it fetched, and
  // promotes to timeline 3, whose history names timeline 2 as its parent.
  RecoverFromArchive(follower, *config, /*archive=*/false, {"recovery_target_timeline = 'latest'"});
  EXPECT_NE(follower.ServerLog().find("restored log file \"00000002.history\" from archive"),
            std::string::npos)
      << follower.ServerLog();
  EXPECT_NE(follower.ServerLog().find("restored log file \"" + last + "\" from archive"),
            std::string::npos)
      << follower.ServerLog();
  fs::path history = follower.data_dir() / "pg_wal/00000003.history";
  ASSERT_TRUE(fs::exists(history)) << follower.ServerLog();
  std::vector<std::string> parents = Lines(ReadFile(history));
  ASSERT_EQ(parents.size(), 2u) << ReadFile(history);
  EXPECT_EQ(parents[1].substr(0, 2), "2\t") << ReadFile(history);
  EXPECT_TRUE(follower.DumpAll() == promoted.DumpAll()) << "the follower's data differs";
}

INSTANTIATE_TEST_SUITE_P(Storages, WalArchiveRoundTripTest,
                         ::testing::Values(StorageCase{"directory_lz4_libsodium",
                                                       TestStorage::kDirectory, "lz4", true},
                                           StorageCase{"s3_zstd", TestStorage::kS3, "zstd", false}),
                         CaseName);

// The storage directory turns read-only under a running archiver: pushes fail, PostgreSQL keeps
// the segments and retries, and after the repair everything arrives, once and intact.
TEST(WalArchiveFaultTest, DirectoryStorageFailingThenRepaired) {
  WalnutConfig config(TestStorage::kDirectory, "unwritable");
  config.SetCompression("lz4");
  PgCluster pg;
  StartArchivingPrimary(pg, config);
  pg.WaitForArchived(WriteAndSwitch(pg));
  fs::path wal_dir = config.storage_dir() / "wal_005";
  ASSERT_TRUE(fs::is_directory(wal_dir));

  ASSERT_EQ(RunCommand(AsPgRunUser("chmod 0555 " + ShellQuote(wal_dir.string()))).exit_code, 0);
  pg.Pgbench("-i -s 1 -q");
  std::string failing = WriteAndSwitch(pg);
  bool failed = WaitFor([&] { return pg.Archiver().failed_count >= 2; }, 20);
  ArchiverStatus during = pg.Archiver();
  ASSERT_EQ(RunCommand(AsPgRunUser("chmod 0755 " + ShellQuote(wal_dir.string()))).exit_code, 0);
  ASSERT_TRUE(failed) << "wal-push did not fail on a read-only storage; server log:\n"
                      << pg.ServerLog();
  EXPECT_LT(during.last_archived_wal, failing);
  EXPECT_TRUE(fs::exists(pg.data_dir() / "pg_wal/archive_status" / (failing + ".ready")));

  pg.WaitForArchived(WriteAndSwitch(pg), 40);  // the new segment wakes the archiver
  ExpectArchivedFilesStored(pg, config, ".lz4");
  ExpectArchiveMatchesPgWal(pg, config);
}

// s3rver behind a proxy that resets every new connection at once: the same, on S3. (Not
// mid-body: s3rver keeps the partial body of a reset PutObject as a visible object, which S3
// never does, and wal-push then rightly refuses to replace what it cannot read back.)
TEST(WalArchiveFaultTest, S3ConnectionResetsThenRepaired) {
  const char* endpoint = std::getenv("WALNUT_IT_S3_ENDPOINT");
  ASSERT_TRUE(endpoint);
  std::string target(endpoint);
  int port = std::stoi(target.substr(target.rfind(':') + 1));
  std::atomic<bool> broken{false};
  FaultProxy proxy("127.0.0.1", port, [&](int) -> int64_t { return broken ? 0 : -1; });

  WalnutConfig config(TestStorage::kS3, "resets");
  config.SetCompression("zstd");
  config.Set("AWS_ENDPOINT", proxy.endpoint());
  config.Set("WALG_S3_MAX_RETRIES", "1");
  PgCluster pg;
  StartArchivingPrimary(pg, config);
  pg.WaitForArchived(WriteAndSwitch(pg));

  broken = true;
  pg.Pgbench("-i -s 1 -q");
  std::string failing = WriteAndSwitch(pg);
  bool failed = WaitFor([&] { return pg.Archiver().failed_count >= 2; }, 30);
  ArchiverStatus during = pg.Archiver();
  broken = false;
  ASSERT_TRUE(failed) << "wal-push did not fail with every connection reset; server log:\n"
                      << pg.ServerLog();
  EXPECT_GT(proxy.resets(), 0);
  EXPECT_LT(during.last_archived_wal, failing);

  pg.WaitForArchived(WriteAndSwitch(pg), 40);
  ExpectArchivedFilesStored(pg, config, ".zst");
  ExpectArchiveMatchesPgWal(pg, config);
}

// wal-push is killed with SIGKILL in the middle of its first upload (a wrapper archive_command
// waits for the storage's temporary file to appear): PostgreSQL retries, and a recovery from the
// archive still reaches the same data.
TEST(WalArchiveFaultTest, KilledWalPushThenRecovery) {
  WalnutConfig config(TestStorage::kDirectory, "killed");
  config.SetCompression("lz4");
  config.SetLibsodiumKey(kTestLibsodiumKeyHex);
  TempDir scripts;
  fs::path marker = scripts.path() / "killed-once";
  fs::path wrapper = scripts.path() / "archive.sh";
  fs::path wal_dir = config.storage_dir() / "wal_005";
  WriteFile(wrapper,
            "#!/bin/sh\n"
            "# The first call starts wal-push, kills it once an upload is under way, and fails.\n"
            "if [ ! -e " +
                ShellQuote(marker.string()) +
                " ]; then\n"
                "  touch " +
                ShellQuote(marker.string()) +
                "\n"
                "  " +
                config.CommandLine("wal-push \"$1\"") +
                " &\n"
                "  pid=$!\n"
                "  i=0\n"
                "  while [ $i -lt 500 ] && ! ls -A " +
                ShellQuote(wal_dir.string()) +
                " 2>/dev/null | grep -q walnut-tmp; do sleep 0.01; i=$((i+1)); done\n"
                "  kill -9 $pid\n"
                "  echo \"killed wal-push after $i polls\" >> " +
                ShellQuote((scripts.path() / "log").string()) +
                "\n"
                "  exit 1\n"
                "fi\n"
                "exec " +
                config.CommandLine("wal-push \"$1\"") + "\n");
  fs::permissions(wrapper, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);
  GrantToPgRunUser(scripts.path());

  PgCluster pg;
  pg.InitDb();
  pg.Configure({"archive_mode = on", "archive_command = " + ConfQuote(wrapper.string() + " %p"),
                "wal_keep_size = '1GB'", "max_wal_size = '1GB'", "fsync = off"});
  pg.Start();
  PgCluster restored;
  pg.BaseBackup(restored.data_dir());  // waits for its WAL: past the killed attempt
  pg.Pgbench("-i -s 1 -q");
  pg.WaitForArchived(WriteAndSwitch(pg));
  ASSERT_TRUE(fs::exists(marker));
  EXPECT_GE(pg.Archiver().failed_count, 1);
  if (fs::exists(scripts.path() / "log"))
    std::cout << "[          ] " << ReadFile(scripts.path() / "log");

  ExpectArchivedFilesStored(pg, config, ".lz4");
  ExpectArchiveMatchesPgWal(pg, config);
  RecoverFromArchive(restored, config, /*archive=*/false);
  EXPECT_TRUE(restored.DumpAll() == pg.DumpAll()) << "the recovered cluster's data differs";
}

class WalFetchCorruptObjectTest : public ::testing::TestWithParam<StorageCase> {};

// An archived object whose bytes changed: wal-fetch refuses it with one ERROR line naming it and
// leaves no file at the destination (PostgreSQL would otherwise replay garbage or stop).
TEST_P(WalFetchCorruptObjectTest, FailsWithOneLineAndNoFile) {
  auto config = MakeConfig(GetParam());
  PgCluster pg;
  StartArchivingPrimary(pg, *config);
  pg.Pgbench("-i -s 1 -q");
  std::string segment = WriteAndSwitch(pg);
  pg.WaitForArchived(segment);
  pg.Stop();

  fs::path object =
      config->storage_dir() / "wal_005" / (segment + ExtensionOf(GetParam().compression));
  ASSERT_TRUE(fs::exists(object));
  std::string bytes = ReadFile(object);
  ASSERT_GT(bytes.size(), 1000u);
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 64; ++i)
    bytes[i] = static_cast<char>(~bytes[i]);
  WriteFile(object, bytes);

  TempDir restore;
  GrantToPgRunUser(restore.path());
  fs::path dest = restore.path() / "RECOVERYXLOG";
  CommandResult r = config->Run("wal-fetch " + segment + " " + ShellQuote(dest.string()));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ExpectOneErrorLine(r, segment);
  EXPECT_FALSE(fs::exists(dest)) << "a corrupt segment was written to %p";

  // The segments around it are still fine.
  std::string before = pg.ArchivedFiles().front();
  CommandResult ok =
      config->Run("wal-fetch " + before + " " + ShellQuote((restore.path() / "ok").string()));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

INSTANTIATE_TEST_SUITE_P(
    Codecs, WalFetchCorruptObjectTest,
    ::testing::Values(StorageCase{"lz4_libsodium", TestStorage::kDirectory, "lz4", true},
                      StorageCase{"zstd", TestStorage::kDirectory, "zstd", false}),
    CaseName);

// A second cluster (another initdb, so another system identifier) is pointed at an archive that
// already holds the first one's WAL: its pushes are refused, PostgreSQL reports the failures, and
// the first cluster's archive stays exactly as it was.
TEST(WalArchiveFaultTest, AnotherClustersSegmentsAreRefused) {
  WalnutConfig config(TestStorage::kDirectory, "foreign");
  config.SetCompression("lz4");
  PgCluster first;
  StartArchivingPrimary(first, config);
  first.Pgbench("-i -s 1 -q");
  for (int i = 0; i < 3; ++i) WriteAndSwitch(first);
  first.WaitForArchived(WriteAndSwitch(first));
  first.Stop();
  std::map<std::string, std::string> before = Snapshot(config.storage_dir());
  ASSERT_FALSE(before.empty());

  PgCluster other;
  StartArchivingPrimary(other, config);
  std::string segment = WriteAndSwitch(other);
  ASSERT_LT(segment, first.ArchivedFiles().back()) << "the other cluster must reuse a name";
  bool failed = WaitFor([&] { return other.Archiver().failed_count >= 1; }, 20);
  EXPECT_TRUE(failed) << "the other cluster's segment was accepted; server log:\n"
                      << other.ServerLog();
  EXPECT_EQ(other.Archiver().archived_count, 0);
  // Run by hand, the refusal is one clear line.
  CommandResult r =
      config.Run("wal-push " + ShellQuote((other.data_dir() / "pg_wal" / segment).string()));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ExpectOneErrorLine(r, segment);
  other.Stop("immediate");

  EXPECT_TRUE(Snapshot(config.storage_dir()) == before) << "the first cluster's archive changed";
}

}  // namespace
}  // namespace walnut::testing
