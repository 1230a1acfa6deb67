// backup-fetch with recovery targets, end to end with real PostgreSQL 15 clusters: one source
// archives through Walnut and goes through marked phases (a restore point, a time, an LSN, an
// xid, with a backup before and one in the middle); each test restores with backup-fetch
// --target-... and starts the result with pg_ctl, with no recovery setting written by hand (only
// archive_mode = off, so restored clusters do not archive into the source's storage), and checks
// that exactly the phases before the target are there.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "postgres/lsn.h"
#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/pg_cluster.h"
#include "support/test_util.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class RecoveryTargetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    config_ = std::make_unique<WalnutConfig>(TestStorage::kDirectory, "targets");
    config_->SetCompression("lz4");
    source_ = std::make_unique<PgCluster>();
    source_->InitDb();
    source_->Configure({"wal_level = replica", "archive_mode = on",
                        "archive_command = " + ConfQuote(config_->ArchiveCommand()),
                        "archive_timeout = 0"});
    source_->Start();
    source_->Query("CREATE TABLE marks (id serial PRIMARY KEY, phase text)");
    BackupPush();
    Mark("before-name");
    source_->Query("SELECT pg_create_restore_point('rp1')");
    Mark("after-name");
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    Mark("before-time");
    target_time_ = source_->Query("SELECT clock_timestamp()");
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    Mark("after-time");
    BackupPush();  // finished after the target time
    Mark("before-lsn");
    target_lsn_ = source_->Query("SELECT pg_current_wal_insert_lsn()");
    Mark("after-lsn");
    target_xid_ = source_->Query(
        "BEGIN; INSERT INTO marks (phase) VALUES ('xid'); SELECT txid_current(); COMMIT;");
    Mark("after-xid");
    source_->WaitForArchived(source_->SwitchWal(), 60);
    backups_ = BackupNames(*config_);
  }
  static void TearDownTestSuite() {
    source_.reset();
    config_.reset();
  }

  static void Mark(const std::string& phase) {
    source_->Query("INSERT INTO marks (phase) VALUES ('" + phase + "')");
  }
  static void BackupPush() {
    CommandResult r = source_->Run(
        config_->CommandLine("backup-push " + ShellQuote(source_->data_dir().string())));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // backup-fetch into `restored`'s data directory with `args` after the backup name.
  static CommandResult Fetch(const PgCluster& restored, const std::string& args) {
    return config_->Run("backup-fetch " + ShellQuote(restored.data_dir().string()) + " " + args);
  }
  // Fetch that must succeed, then archive_mode = off and pg_ctl start.
  static CommandResult FetchAndStart(PgCluster& restored, const std::string& args) {
    CommandResult r = Fetch(restored, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code != 0) return r;
    restored.Configure({"archive_mode = off"});
    restored.Start();
    return r;
  }
  static std::string Phases(const PgCluster& cluster) {
    return cluster.Query("SELECT string_agg(phase, ',' ORDER BY id) FROM marks");
  }

  static std::unique_ptr<WalnutConfig> config_;
  static std::unique_ptr<PgCluster> source_;
  static std::string target_time_;
  static std::string target_lsn_;
  static std::string target_xid_;
  static std::vector<std::string> backups_;
};

std::unique_ptr<WalnutConfig> RecoveryTargetTest::config_;
std::unique_ptr<PgCluster> RecoveryTargetTest::source_;
std::string RecoveryTargetTest::target_time_;
std::string RecoveryTargetTest::target_lsn_;
std::string RecoveryTargetTest::target_xid_;
std::vector<std::string> RecoveryTargetTest::backups_;

TEST_F(RecoveryTargetTest, RestorePointWithPromote) {
  ASSERT_EQ(backups_.size(), 2u);
  PgCluster restored;
  CommandResult r =
      FetchAndStart(restored, backups_[0] + " --target-name rp1 --target-action promote");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("recovery_target_name = 'rp1'"));
  restored.WaitForPromotion(120);
  EXPECT_EQ(Phases(restored), "before-name");
  const std::string auto_conf = ReadFile(restored.data_dir() / "postgresql.auto.conf");
  // This binary (its absolute path) with the same config file; nothing else.
  EXPECT_THAT(auto_conf, HasSubstr("\nrestore_command = '''/"));
  EXPECT_THAT(auto_conf, HasSubstr("/walnut'' --config ''" + config_->path().string() +
                                   "'' wal-fetch %f %p'\n"));
  EXPECT_THAT(auto_conf, HasSubstr("recovery_target_name = 'rp1'\n"));
}

TEST_F(RecoveryTargetTest, TimeWithLatestPicksTheBackupBeforeItAndPauses) {
  PgCluster restored;
  CommandResult r = FetchAndStart(
      restored, "LATEST --target-time " + ShellQuote(target_time_) + " --target-action pause");
  ASSERT_EQ(r.exit_code, 0);
  // The latest backup finished after the target: the one before it is restored, and said so.
  EXPECT_THAT(r.err, HasSubstr("restoring backup " + backups_[0]));
  std::string state;
  for (int i = 0; i < 600 && state != "paused"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    state = restored.Query("SELECT pg_get_wal_replay_pause_state()");
  }
  ASSERT_EQ(state, "paused") << restored.ServerLog();
  EXPECT_EQ(restored.Query("SELECT pg_is_in_recovery()"), "t");
  EXPECT_EQ(Phases(restored), "before-name,after-name,before-time");
}

TEST_F(RecoveryTargetTest, LsnWithPromote) {
  PgCluster restored;
  CommandResult r =
      FetchAndStart(restored, "LATEST --target-lsn " + target_lsn_ + " --target-action promote");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("restoring backup " + backups_[1]));
  restored.WaitForPromotion(120);
  EXPECT_EQ(Phases(restored), "before-name,after-name,before-time,after-time,before-lsn");
}

TEST_F(RecoveryTargetTest, XidInclusiveAndExclusive) {
  PgCluster inclusive;
  ASSERT_EQ(
      FetchAndStart(inclusive, "LATEST --target-xid " + target_xid_ + " --target-action promote")
          .exit_code,
      0);
  inclusive.WaitForPromotion(120);
  EXPECT_EQ(Phases(inclusive),
            "before-name,after-name,before-time,after-time,before-lsn,after-lsn,xid");

  PgCluster exclusive;
  ASSERT_EQ(FetchAndStart(exclusive, "LATEST --target-xid " + target_xid_ +
                                         " --target-exclusive --target-action promote")
                .exit_code,
            0);
  exclusive.WaitForPromotion(120);
  EXPECT_EQ(Phases(exclusive),
            "before-name,after-name,before-time,after-time,before-lsn,after-lsn");
}

TEST_F(RecoveryTargetTest, ImmediateWithShutdownStopsTheServerAtConsistency) {
  PgCluster restored;
  CommandResult r = Fetch(restored, backups_[1] + " --target-immediate --target-action shutdown");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  restored.Configure({"archive_mode = off"});
  try {
    restored.Start();  // pg_ctl -w may see the server go before it is ready
  } catch (const std::exception&) {
  }
  const fs::path pid = restored.data_dir() / "postmaster.pid";
  for (int i = 0; i < 600 && fs::exists(pid); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_FALSE(fs::exists(pid));
  EXPECT_THAT(restored.ServerLog(), HasSubstr("shutdown at recovery target"));
  EXPECT_THAT(restored.ServerLog(), HasSubstr("recovery stopping after reaching consistency"));
}

TEST_F(RecoveryTargetTest, StandbyKeepsReplayingTheArchive) {
  PgCluster standby;
  CommandResult r = FetchAndStart(standby, "LATEST --standby");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_TRUE(fs::exists(standby.data_dir() / "standby.signal"));
  EXPECT_FALSE(fs::exists(standby.data_dir() / "recovery.signal"));
  EXPECT_EQ(standby.Query("SELECT pg_is_in_recovery()"), "t");
  Mark("for-the-standby");
  source_->WaitForArchived(source_->SwitchWal(), 60);
  std::string seen;
  for (int i = 0; i < 600 && seen != "1"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    seen = standby.Query("SELECT count(*) FROM marks WHERE phase = 'for-the-standby'");
  }
  EXPECT_EQ(seen, "1") << standby.ServerLog();
  EXPECT_EQ(standby.Query("SELECT pg_is_in_recovery()"), "t");
}

// Settings from the environment only (no config file): restore_command carries them as
// assignments and PostgreSQL's shell runs it; a secret is left out, named in one warning.
TEST_F(RecoveryTargetTest, SettingsFromTheEnvironmentGoIntoRestoreCommandButNoSecret) {
  const std::string env = "env -i PATH=/usr/bin:/bin HOME=/tmp WALG_FILE_PREFIX=" +
                          ShellQuote(config_->storage_dir().string()) +
                          " WALG_COMPRESSION_METHOD=lz4 ";
  PgCluster restored;
  CommandResult r = RunCommand(AsPgRunUser(
      env + WalnutBinary() + " backup-fetch " + ShellQuote(restored.data_dir().string()) +
      " LATEST --target-lsn " + target_lsn_ + " --target-action promote"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string auto_conf = ReadFile(restored.data_dir() / "postgresql.auto.conf");
  EXPECT_THAT(auto_conf,
              HasSubstr("restore_command = 'WALG_FILE_PREFIX=''" + config_->storage_dir().string() +
                        "'' WALG_COMPRESSION_METHOD=''lz4'' ''/"));
  EXPECT_THAT(auto_conf, HasSubstr("/walnut'' wal-fetch %f %p'\n"));  // no --config
  restored.Configure({"archive_mode = off"});
  restored.Start();
  restored.WaitForPromotion(120);
  EXPECT_EQ(Phases(restored), "before-name,after-name,before-time,after-time,before-lsn");

  // The same with a secret in the environment (one a directory storage does not use: it only
  // must not be written).
  PgCluster other;
  const std::string key = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
  r = RunCommand(AsPgRunUser(env + "AWS_SECRET_ACCESS_KEY=" + key + " " + WalnutBinary() +
                             " backup-fetch " + ShellQuote(other.data_dir().string()) +
                             " LATEST --target-immediate"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("WARNING"));
  EXPECT_THAT(r.err, HasSubstr("restore_command does not carry AWS_SECRET_ACCESS_KEY"));
  EXPECT_THAT(r.err, Not(HasSubstr(key)));
  EXPECT_THAT(ReadFile(other.data_dir() / "postgresql.auto.conf"), Not(HasSubstr(key)));
  EXPECT_THAT(ReadFile(other.data_dir() / "postgresql.auto.conf"),
              HasSubstr("recovery_target = 'immediate'\n"));
}

TEST_F(RecoveryTargetTest, RefusalsAreOneLineAndWriteNothing) {
  PgCluster restored;
  const fs::path dir = restored.data_dir();

  CommandResult before = Fetch(restored, "LATEST --target-time '2001-02-03 04:05:06+00'");
  EXPECT_EQ(before.exit_code, 1);
  ExpectOneErrorLine(before, {"is before the end of the oldest backup", backups_[0]});
  EXPECT_FALSE(fs::exists(dir));

  CommandResult named = Fetch(restored, backups_[1] + " --target-time " + ShellQuote(target_time_));
  EXPECT_EQ(named.exit_code, 1);
  ExpectOneErrorLine(named, {"is before the end of backup", backups_[1]});
  EXPECT_FALSE(fs::exists(dir));

  const std::string far =
      pg::FormatLsn(pg::ParseLsn(target_lsn_) + (uint64_t{64} << 20));  // 4 segments on
  CommandResult past = Fetch(restored, "LATEST --target-lsn " + far);
  EXPECT_EQ(past.exit_code, 1);
  ExpectOneErrorLine(past, {"--target-lsn " + far, "is past the archived WAL"});
  EXPECT_FALSE(fs::exists(dir));

  CommandResult late = Fetch(restored, "LATEST --target-time '2200-01-01 00:00:00+00'");
  EXPECT_EQ(late.exit_code, 1);
  ExpectOneErrorLine(late, {"is past the archived WAL"});
  EXPECT_FALSE(fs::exists(dir));

  CommandResult bad = Fetch(restored, "LATEST --target-lsn 12345");
  EXPECT_EQ(bad.exit_code, 2);
  ExpectOneErrorLine(bad, {"--target-lsn '12345'"});
  EXPECT_FALSE(fs::exists(dir));

  // The plain form restores files only and keeps WAL-G's advice.
  CommandResult plain = Fetch(restored, "LATEST");
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_THAT(plain.err, HasSubstr("to replay WAL, create"));
  EXPECT_FALSE(fs::exists(dir / "recovery.signal"));
  EXPECT_THAT(ReadFile(dir / "postgresql.auto.conf"), Not(HasSubstr("walnut backup-fetch")));
}

}  // namespace
}  // namespace walnut::testing
