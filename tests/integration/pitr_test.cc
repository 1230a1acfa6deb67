// Point-in-time recovery end to end, as an operator does it with WAL-G: archive_command wal-push,
// backup-push under load, then backup-fetch + restore_command wal-fetch + recovery_target_time,
// with real PostgreSQL 15 clusters; and what must survive faults: a killed backup-push leaves no
// visible backup, a damaged partition makes backup-fetch fail with one clear error.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/fault_proxy.h"
#include "support/gpg_home.h"
#include "support/pg_cluster.h"
#include "support/test_util.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;

// Every btree index of `database` passes amcheck's bt_index_check.
void ExpectIndexesIntact(const PgCluster& cluster, const std::string& database) {
  cluster.Query("CREATE EXTENSION IF NOT EXISTS amcheck", database);
  const std::string checked = cluster.Query(
      "SELECT count(bt_index_check(c.oid)) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
      "JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'btree' AND c.relpersistence <> 't' "
      "AND i.indisready AND i.indisvalid",
      database);
  EXPECT_GT(std::stoi(checked), 10) << database;  // catalog indexes at least
}

// A source cluster archiving through Walnut into `config`'s storage, with a pgbench database.
class PitrTest : public ::testing::Test {
 protected:
  void StartSource(WalnutConfig& config, int scale) {
    source_.InitDb();
    source_.Configure({"wal_level = replica", "archive_mode = on",
                       "archive_command = " + ConfQuote(config.ArchiveCommand()),
                       "archive_timeout = 0", "max_wal_size = 256MB"});
    source_.Start();
    source_.Pgbench("-i -q -s " + std::to_string(scale));
  }

  // backup-push of the source's data directory, run as PostgreSQL's user with its connection.
  CommandResult BackupPush(const WalnutConfig& config) const {
    return source_.Run(
        config.CommandLine("backup-push " + ShellQuote(source_.data_dir().string())));
  }

  // backup-push while pgbench writes (two clients for `seconds`).
  void BackupPushUnderLoad(const WalnutConfig& config, int seconds) {
    std::thread load([&] { source_.Pgbench("-n -c 2 -T " + std::to_string(seconds)); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CommandResult r = BackupPush(config);
    load.join();
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Makes the archive hold everything written so far.
  void ArchiveAll() { source_.WaitForArchived(source_.SwitchWal(), 60); }

  // Restores `backup` from `config` into `target` and starts it with `recovery` settings.
  void Restore(const WalnutConfig& config, PgCluster& target, const std::string& backup,
               const std::vector<std::string>& recovery) {
    CommandResult r =
        config.Run("backup-fetch " + ShellQuote(target.data_dir().string()) + " " + backup);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> settings = {"archive_mode = off",
                                         "restore_command = " + ConfQuote(config.RestoreCommand())};
    settings.insert(settings.end(), recovery.begin(), recovery.end());
    target.Configure(settings);
    target.SignalRecovery();
    target.Start();
    target.WaitForPromotion(120);
  }

  PgCluster source_;
};

TEST_F(PitrTest, RecoveryTargetTimeRestoresTheStateAtThatTime_DirectoryLz4Libsodium) {
  WalnutConfig config(TestStorage::kDirectory, "pitr-time");
  config.SetCompression("lz4");
  config.SetLibsodiumKey(kTestLibsodiumKeyHex);
  StartSource(config, 2);
  BackupPushUnderLoad(config, 6);

  // Changes after the backup that the restore must keep...
  source_.Pgbench("-n -c 2 -t 300");
  source_.Query("CREATE TABLE marks AS SELECT 'kept' AS what");
  const std::string target_time = source_.Query("SELECT clock_timestamp()");
  const std::string expected = source_.DumpAll();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  // ...and later ones it must not.
  source_.Query("INSERT INTO marks VALUES ('lost')");
  source_.Pgbench("-n -c 2 -t 300");
  source_.Query("DROP TABLE pgbench_history");
  ArchiveAll();

  PgCluster restored;
  Restore(
      config, restored, "LATEST",
      {"recovery_target_time = " + ConfQuote(target_time), "recovery_target_action = 'promote'"});
  EXPECT_EQ(restored.Query("SELECT string_agg(what, ',') FROM marks"), "kept");
  EXPECT_TRUE(restored.DumpAll() == expected)
      << "the restored cluster differs from the source at " << target_time;
  ExpectIndexesIntact(restored, "postgres");
}

// OpenPGP end to end: PostgreSQL archives through wal-push and restores through wal-fetch,
// backup-push and backup-fetch encrypt and decrypt every tar part, with a passphrase-protected
// key made by gpg; gpg reads an archived segment back.
TEST_F(PitrTest, LatestToTheEndOfWalWithOpenPgp_DirectoryZstd) {
  GpgTestKeys gpg;
  WalnutConfig config(TestStorage::kDirectory, "pitr-pgp");
  config.SetCompression("zstd");
  config.SetPgpKey(gpg.ExportSecret(GpgTestKeys::kBob, GpgTestKeys::kPassphrase),
                   GpgTestKeys::kPassphrase);
  StartSource(config, 2);
  BackupPushUnderLoad(config, 6);
  source_.Pgbench("-n -c 2 -t 300");
  source_.Query("CREATE TABLE after_backup AS SELECT g FROM generate_series(1, 10000) g");
  ArchiveAll();
  const std::string expected = source_.DumpAll();
  source_.Stop();

  std::vector<std::string> wal = config.ListObjects("wal_005");
  ASSERT_FALSE(wal.empty());
  std::string segment = wal.front();
  CommandResult zstd = RunCommand(
      "zstd -d -c",
      gpg.Decrypt(ReadFile(config.storage_dir() / "wal_005" / segment), GpgTestKeys::kPassphrase));
  EXPECT_EQ(zstd.exit_code, 0) << segment << ": " << zstd.err;
  EXPECT_EQ(zstd.out.size(), 16u << 20) << segment;

  PgCluster restored;
  Restore(config, restored, "LATEST", {});
  EXPECT_EQ(restored.Query("SELECT count(*) FROM after_backup"), "10000");
  EXPECT_TRUE(restored.DumpAll() == expected) << "the restored cluster differs from the source";
}

// The same scenario on each S3 server (s3rver; Ceph RGW, which checks signatures as AWS does).
class PitrS3Test : public PitrTest, public ::testing::WithParamInterface<TestStorage> {};

TEST_P(PitrS3Test, LatestToTheEndOfWalEqualsTheSource_Brotli) {
  WALNUT_SKIP_UNLESS_AVAILABLE(GetParam());
  WalnutConfig config(GetParam(), "pitr-latest");
  config.SetCompression("brotli");
  StartSource(config, 2);
  BackupPushUnderLoad(config, 6);
  source_.Pgbench("-n -c 2 -t 300");
  source_.Query("CREATE TABLE after_backup AS SELECT g FROM generate_series(1, 10000) g");
  source_.Query("CREATE INDEX ON after_backup (g)");
  ArchiveAll();
  const std::string expected = source_.DumpAll();
  source_.Stop();

  PgCluster restored;
  Restore(config, restored, "LATEST", {});
  EXPECT_EQ(restored.Query("SELECT count(*) FROM after_backup"), "10000");
  EXPECT_TRUE(restored.DumpAll() == expected) << "the restored cluster differs from the source";
  ExpectIndexesIntact(restored, "postgres");
}

INSTANTIATE_TEST_SUITE_P(S3Servers, PitrS3Test, ::testing::ValuesIn(kS3Servers),
                         TestStorageParamName);
// And over SFTP, on the fixture's OpenSSH server.
INSTANTIATE_TEST_SUITE_P(Sftp, PitrS3Test, ::testing::Values(TestStorage::kSftp),
                         TestStorageParamName);
// And on Azure Blob Storage, in the fixture's azurite.
INSTANTIATE_TEST_SUITE_P(Azure, PitrS3Test, ::testing::Values(TestStorage::kAzure),
                         TestStorageParamName);
// And on the scripted GCS server (support/gcs_server.h).
INSTANTIATE_TEST_SUITE_P(Gcs, PitrS3Test, ::testing::Values(TestStorage::kGcs),
                         TestStorageParamName);

TEST_F(PitrTest, KilledBackupPushLeavesNoVisibleBackupAndTheNextOneWorks) {
  WalnutConfig config(TestStorage::kDirectory, "pitr-kill");
  config.SetCompression("lz4");
  StartSource(config, 3);

  // How long a whole backup-push takes here, to kill later ones at several points of it.
  auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(BackupPush(config).exit_code, 0);
  const auto full = std::chrono::steady_clock::now() - started;
  std::vector<std::string> complete = BackupNames(config);
  ASSERT_EQ(complete.size(), 1u);

  TempDir pid_dir;
  GrantToPgRunUser(pid_dir.path());
  const fs::path pid_file = pid_dir.path() / "walnut.pid";
  int kills = 0;
  for (double fraction : {0.05, 0.3, 0.55, 0.8}) {
    source_.Pgbench("-n -c 1 -t 100");  // a new start LSN, so a new backup name
    fs::remove(pid_file);
    // The shell writes its pid and becomes walnut (exec keeps the pid): the process to kill.
    const std::string command =
        "echo $$ > " + ShellQuote(pid_file.string()) + " && exec env " + source_.ConnectionEnv() +
        " " + config.CommandLine("backup-push " + ShellQuote(source_.data_dir().string())) +
        " >/dev/null 2>&1";
    const std::string as_user = AsPgRunUser(command);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      execl("/bin/sh", "sh", "-c", as_user.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    pid_t walnut = 0;
    for (int i = 0; i < 1000 && walnut == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (fs::exists(pid_file)) walnut = static_cast<pid_t>(std::atoi(ReadFile(pid_file).c_str()));
    }
    ASSERT_GT(walnut, 0) << "backup-push did not start";
    std::this_thread::sleep_for(
        std::chrono::duration_cast<std::chrono::milliseconds>(full * fraction));
    const bool signalled = kill(walnut, SIGKILL) == 0;
    int status = 0;
    waitpid(child, &status, 0);
    // kill() also succeeds on a process that has just finished and is not reaped yet: one that
    // exited 0 had completed its backup before the signal (seen on a loaded machine).
    const bool killed = signalled && !(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    std::vector<std::string> names = BackupNames(config);
    if (killed) {
      ++kills;
      EXPECT_EQ(names, complete) << "backup-push killed at " << fraction
                                 << " of its run left a visible backup";
    } else {
      EXPECT_EQ(names.size(), complete.size() + 1) << "backup-push finished before the kill";
    }
    complete = names;
    // Whatever is listed is whole enough to describe.
    CommandResult detail = config.Run("backup-list --detail");
    EXPECT_EQ(detail.exit_code, 0) << detail.err;
  }

  EXPECT_GE(kills, 2) << "most kills must land while backup-push runs";

  // The server is not left in backup mode, and the next backup-push works and restores.
  source_.Pgbench("-n -c 1 -t 100");
  CommandResult r = BackupPush(config);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> names = BackupNames(config);
  EXPECT_EQ(names.size(), complete.size() + 1);
  source_.Query("CREATE TABLE after_kills AS SELECT 1 AS one");
  ArchiveAll();
  const std::string expected = source_.DumpAll();
  PgCluster restored;
  Restore(config, restored, names.back(), {});
  EXPECT_TRUE(restored.DumpAll() == expected);
}

// Failover storages: the primary (s3rver behind a proxy) dies after the backup and some WAL;
// PostgreSQL goes on archiving into the failover directory; once the primary is back, a restore
// reads the backup from it and the WAL from both, and equals the source.
TEST_F(PitrTest, PrimaryDeadAfterSomeWalRestoresFromBothStorages_S3AndDirectory) {
  WalnutConfig config(TestStorage::kS3, "pitr-failover");
  config.SetCompression("lz4");
  std::atomic<bool> dead{false};
  FaultProxy proxy("127.0.0.1", EndpointPort(config.Setting("AWS_ENDPOINT")),
                   [&dead](int, std::string_view) {
                     return dead ? ProxyFault::ResetAfter(0) : ProxyFault::None();
                   });
  config.Set("AWS_ENDPOINT", proxy.endpoint());
  config.Set("WALNUT_STORAGE_RETRY_TIMEOUT", "2s");
  WalnutConfig spare(TestStorage::kDirectory, "pitr-failover-spare");
  TempDir cache_dir;
  GrantToPgRunUser(cache_dir.path());
  const fs::path cache = cache_dir.path() / "status.json";
  config.Set("WALNUT_FAILOVER_STATUS_CACHE", cache.string());
  config.Set("WALG_FAILOVER_STORAGES",
             "{\"spare\": {\"WALG_FILE_PREFIX\": \"" + spare.storage_dir().string() + "\"}}");
  StartSource(config, 2);
  BackupPushUnderLoad(config, 4);
  source_.Query("CREATE TABLE before_death AS SELECT g FROM generate_series(1, 5000) g");
  ArchiveAll();

  dead = true;
  source_.Pgbench("-n -c 2 -t 300");
  source_.Query("CREATE TABLE after_death AS SELECT g FROM generate_series(1, 7000) g");
  ArchiveAll();
  const std::string expected = source_.DumpAll();
  source_.Stop();
  EXPECT_GT(proxy.resets(), 0) << "the primary never died: the test proves nothing";
  EXPECT_FALSE(spare.ListObjects("wal_005").empty()) << "no WAL went to the failover storage";

  dead = false;
  fs::remove(cache);  // the primary's dead status, forgotten
  PgCluster restored;
  Restore(config, restored, "LATEST", {});
  EXPECT_EQ(restored.Query("SELECT count(*) FROM after_death"), "7000");
  EXPECT_TRUE(restored.DumpAll() == expected) << "the restored cluster differs from the source";
}

TEST_F(PitrTest, CorruptPartitionMakesBackupFetchFailClearly) {
  WalnutConfig config(TestStorage::kDirectory, "pitr-corrupt");
  config.SetCompression("lz4");
  config.SetLibsodiumKey(kTestLibsodiumKeyHex);
  StartSource(config, 1);
  ASSERT_EQ(BackupPush(config).exit_code, 0);
  std::vector<std::string> names = BackupNames(config);
  ASSERT_EQ(names.size(), 1u);

  // Flip one byte in the middle of the first data partition.
  const fs::path partitions =
      config.storage_dir() / "basebackups_005" / names[0] / "tar_partitions";
  fs::path victim;
  for (const auto& entry : fs::directory_iterator(partitions)) {
    const std::string file = entry.path().filename().string();
    if (file.rfind("part_", 0) == 0 && (victim.empty() || file < victim.filename().string()))
      victim = entry.path();
  }
  ASSERT_FALSE(victim.empty());
  std::string bytes = ReadFile(victim);
  ASSERT_GT(bytes.size(), 1000u);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5A);
  WriteFile(victim, bytes);
  GrantToPgRunUser(victim);

  TempDir target_parent;
  GrantToPgRunUser(target_parent.path());
  CommandResult r = config.Run("backup-fetch " +
                               ShellQuote((target_parent.path() / "data").string()) + " LATEST");
  EXPECT_NE(r.exit_code, 0);
  ExpectOneErrorLine(r, victim.filename().string());
  // Whatever was extracted cannot start as a cluster: pg_control comes last and never arrived.
  EXPECT_FALSE(fs::exists(target_parent.path() / "data" / "global" / "pg_control"));
}

}  // namespace
}  // namespace walnut::testing
