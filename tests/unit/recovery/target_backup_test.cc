#include "recovery/target_backup.h"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "storage/memory/memory_storage.h"
#include "support/test_util.h"

namespace walnut::recovery {
namespace {

using walnut::testing::ExpectError;

Timestamp Utc(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

RecoveryRequest TimeTarget(const char* text) {
  RecoveryFlags flags;
  flags.target_time = text;
  return ParseRecoveryFlags(flags);
}

RecoveryRequest LsnTarget(const char* text, const char* timeline = "") {
  RecoveryFlags flags;
  flags.target_lsn = text;
  flags.target_timeline = timeline;
  return ParseRecoveryFlags(flags);
}

// Three backups a day apart on timeline 1, as backup-list orders them.
std::vector<BackupPoint> ThreeBackups() {
  return {
      {"base_000000010000000000000002", Utc("2026-12-01T02:00:00Z"), 0x2000100, 1, 150004},
      {"base_000000010000000000000005", Utc("2026-12-02T02:00:00Z"), 0x5000100, 1, 150004},
      {"base_000000010000000000000009", Utc("2026-12-03T02:00:00Z"), 0x9000100, 1, 150004},
  };
}

std::string RefusalOf(const std::function<void()>& fn) {
  Error e = ExpectError(fn);
  EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition) << e.what();
  return e.what();
}

TEST(ChooseBackupTest, ATimeTargetTakesTheLatestBackupFinishedBeforeIt) {
  auto backups = ThreeBackups();
  EXPECT_EQ(ChooseBackup(backups, TimeTarget("2026-12-02 12:00:00Z")).name,
            "base_000000010000000000000005");
  EXPECT_EQ(ChooseBackup(backups, TimeTarget("2026-12-02 02:00:00Z")).name,
            "base_000000010000000000000005");  // finished exactly then
  EXPECT_EQ(ChooseBackup(backups, TimeTarget("2026-12-09 00:00:00Z")).name,
            "base_000000010000000000000009");
  // backup-list's order is by sentinel time; the choice goes by finish time.
  std::swap(backups[0], backups[2]);
  EXPECT_EQ(ChooseBackup(backups, TimeTarget("2026-12-02 12:00:00Z")).name,
            "base_000000010000000000000005");
}

TEST(ChooseBackupTest, AnLsnTargetTakesTheBackupEndingLastBeforeIt) {
  auto backups = ThreeBackups();
  EXPECT_EQ(ChooseBackup(backups, LsnTarget("0/8FFFFFF")).name, "base_000000010000000000000005");
  EXPECT_EQ(ChooseBackup(backups, LsnTarget("0/9000100")).name, "base_000000010000000000000009");
}

TEST(ChooseBackupTest, OtherTargetsTakeTheLatest) {
  RecoveryFlags flags;
  flags.target_name = "before-upgrade";
  EXPECT_EQ(ChooseBackup(ThreeBackups(), ParseRecoveryFlags(flags)).name,
            "base_000000010000000000000009");
}

TEST(ChooseBackupTest, ATargetBeforeTheOldestBackupIsRefusedNamingIt) {
  std::string line =
      RefusalOf([] { ChooseBackup(ThreeBackups(), TimeTarget("2026-12-01 01:59:59Z")); });
  EXPECT_EQ(line,
            "--target-time 2026-12-01 01:59:59+00 is before the end of the oldest backup "
            "base_000000010000000000000002 (finished at 2026-12-01T02:00:00Z): no backup can "
            "recover to it");
  line = RefusalOf([] { ChooseBackup(ThreeBackups(), LsnTarget("0/2000000")); });
  EXPECT_NE(line.find("oldest backup base_000000010000000000000002 (ends at 0/2000100)"),
            std::string::npos)
      << line;
  EXPECT_NE(RefusalOf([] {
              ChooseBackup({}, TimeTarget("2026-12-01 01:59:59Z"));
            }).find("no backups found"),
            std::string::npos);
}

TEST(CheckBackupFitsTargetTest, ANamedBackupEndingAfterTheTargetIsRefused) {
  auto backups = ThreeBackups();
  CheckBackupFitsTarget(backups[1], TimeTarget("2026-12-02 02:00:00Z"));
  EXPECT_NE(RefusalOf([&] {
              CheckBackupFitsTarget(backups[2], TimeTarget("2026-12-02 12:00Z"));
            }).find("is before the end of backup base_000000010000000000000009"),
            std::string::npos);
  EXPECT_NE(RefusalOf([&] {
              CheckBackupFitsTarget(backups[2], LsnTarget("0/9000000"));
            }).find("(at 0/9000100)"),
            std::string::npos);
}

TEST(CheckBackupFitsTargetTest, BackupsOfPostgreSql11AreRefused) {
  BackupPoint old = ThreeBackups()[0];
  old.pg_version = 110022;
  RecoveryFlags standby;
  standby.standby = true;
  EXPECT_NE(RefusalOf([&] {
              CheckBackupFitsTarget(old, ParseRecoveryFlags(standby));
            }).find("is of PostgreSQL 11"),
            std::string::npos);
  old.pg_version = 170000;
  CheckBackupFitsTarget(old, ParseRecoveryFlags(standby));
}

// wal_005/ with segments 2..9 of timeline 1 and 8..A of timeline 2, each stored an hour apart.
ArchivedWal Archive() {
  ArchivedWal wal;
  for (int segno = 2; segno <= 9; ++segno) {
    wal.catalog.Add(pg::WalFileName({1, static_cast<pg::SegmentNo>(segno)}) + ".lz4");
  }
  for (int segno = 8; segno <= 10; ++segno) {
    wal.catalog.Add(pg::WalFileName({2, static_cast<pg::SegmentNo>(segno)}) + ".lz4");
  }
  wal.catalog.Add("00000002.history.lz4");
  wal.newest_segment_time[1] = Utc("2026-12-03T05:00:00Z");
  wal.newest_segment_time[2] = Utc("2026-12-03T09:00:00Z");
  return wal;
}

TEST(CheckWalReachesTargetTest, AnLsnTargetNeedsItsSegmentArchived) {
  const BackupPoint backup = ThreeBackups()[1];
  const ArchivedWal wal = Archive();
  CheckWalReachesTarget(backup, LsnTarget("0/9FFFFFF"), wal);
  CheckWalReachesTarget(backup, LsnTarget("0/A000028"), wal);  // on timeline 2
  EXPECT_EQ(RefusalOf([&] { CheckWalReachesTarget(backup, LsnTarget("0/B000028"), wal); }),
            "--target-lsn 0/B000028 is past the archived WAL: segment 00000001000000000000000B "
            "is not archived on timeline 1 or later; archive it (pg_switch_wal()) or give an "
            "earlier LSN");
  // Held to timeline 1, the segment on timeline 2 does not count.
  EXPECT_NE(RefusalOf([&] {
              CheckWalReachesTarget(backup, LsnTarget("0/A000028", "1"), wal);
            }).find("segment 00000001000000000000000A is not archived on timeline 1;"),
            std::string::npos);
  EXPECT_NE(RefusalOf([&] {
              CheckWalReachesTarget(backup, LsnTarget("0/A000028", "current"), wal);
            }).find("past the archived WAL"),
            std::string::npos);
}

TEST(CheckWalReachesTargetTest, ATimeTargetAfterTheNewestStoredSegmentIsRefused) {
  const BackupPoint backup = ThreeBackups()[1];
  const ArchivedWal wal = Archive();
  CheckWalReachesTarget(backup, TimeTarget("2026-12-03 08:59:59Z"), wal);
  std::string line =
      RefusalOf([&] { CheckWalReachesTarget(backup, TimeTarget("2026-12-03 09:00:01Z"), wal); });
  EXPECT_EQ(line,
            "--target-time 2026-12-03 09:00:01+00 is past the archived WAL: the newest segment "
            "from timeline 1 on was stored at 2026-12-03T09:00:00Z; archive the WAL up to the "
            "target (pg_switch_wal()) or give an earlier time");
  RecoveryFlags flags;
  flags.target_time = "2026-12-03 06:00:00Z";
  flags.target_timeline = "1";
  EXPECT_NE(RefusalOf([&] {
              CheckWalReachesTarget(backup, ParseRecoveryFlags(flags), wal);
            }).find("stored at 2026-12-03T05:00:00Z"),
            std::string::npos);
}

TEST(CheckWalReachesTargetTest, TheBackupsOwnEndMustBeArchived) {
  BackupPoint backup = ThreeBackups()[2];
  backup.finish_lsn = 0x9000000;  // ends exactly at the start of segment 9: segment 8 holds it
  RecoveryFlags immediate;
  immediate.target_immediate = true;
  CheckWalReachesTarget(backup, ParseRecoveryFlags(immediate), Archive());
  backup.finish_lsn = 0xB000100;
  EXPECT_EQ(
      RefusalOf([&] { CheckWalReachesTarget(backup, ParseRecoveryFlags(immediate), Archive()); }),
      "backup base_000000010000000000000009 needs WAL segment 00000001000000000000000B, "
      "which is not archived: it cannot become consistent");
}

TEST(ListArchivedWalTest, KeepsTheNewestSegmentTimePerTimelineAndOnlySegmentsCount) {
  MemoryStorage storage;
  Folder wal(storage, "wal_005/");
  wal.storage().Put("wal_005/000000010000000000000002.lz4")->Close();
  wal.storage().Put("wal_005/000000010000000000000003.lz4")->Close();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const Timestamp between =
      std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  wal.storage().Put("wal_005/000000020000000000000003.zst")->Close();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Stored last, but not segments: they do not move the times.
  for (const char* other : {"000000010000000000000004.partial.lz4", "00000002.history.lz4",
                            "000000010000000000000002.00000028.backup.lz4", "junk"}) {
    wal.storage().Put(std::string("wal_005/") + other)->Close();
  }
  ArchivedWal archived = ListArchivedWal(wal, pg::kDefaultWalSegmentSize);
  ASSERT_EQ(archived.newest_segment_time.size(), 2u);
  EXPECT_LT(archived.newest_segment_time.at(1), between);
  EXPECT_GT(archived.newest_segment_time.at(2), between);
  EXPECT_TRUE(archived.catalog.Contains({2, 3}));
  EXPECT_FALSE(archived.catalog.Contains({1, 4}));
  EXPECT_EQ(archived.catalog.HighestTimeline(), 2u);
}

}  // namespace
}  // namespace walnut::recovery
