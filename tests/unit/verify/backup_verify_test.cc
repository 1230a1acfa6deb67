// walnut verify on MemoryStorage: a good backup and chain pass; each kind of damage fails with a
// line naming the backup, the part, the file or the WAL segment.
#include "verify/backup_verify.h"

#include <cstring>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "backup/backup_name.h"
#include "postgres/page_checksum.h"
#include "postgres/wal_file_name.h"
#include "storage/memory/memory_storage.h"
#include "support/chain_store.h"
#include "support/increment_test_util.h"
#include "support/log_capture.h"
#include "support/test_util.h"
#include "verify/verify_report.h"
#include "wal/wal_catalog.h"

namespace walnut::verify {
namespace {

using ::testing::AllOf;
using testing::ChainStore;
using ::testing::Contains;
using testing::Dir;
using ::testing::HasSubstr;
using testing::Inc;
using testing::Skip;
using testing::TestIncrement;
using testing::Whole;

// ChainStore names its backups by their start segments: 2, 3, 4, ...
constexpr std::string_view kFull = "base_000000010000000000000002";
constexpr std::string_view kDelta = "base_000000010000000000000003_D_000000010000000000000002";

std::string ReadObject(Storage& storage, const std::string& key) {
  auto in = storage.Get(key);
  std::string out;
  std::vector<std::byte> buffer(1 << 16);
  while (size_t n = in->Read(ByteSpan(buffer))) {
    out.append(reinterpret_cast<const char*>(buffer.data()), n);
  }
  return out;
}

std::map<std::string, std::string> ReadMetadata(Storage& storage, const std::string& key) {
  return storage.Get(key)->metadata();
}

class VerifyTest : public ::testing::Test {
 protected:
  void AddFull() {
    store_.Add(std::string(kFull), "",
               {Dir("/base"), Dir("/base/5"), Whole("/PG_VERSION", "15\n"),
                Whole("/base/5/1", testing::RandomBytes(300 << 10, 1)),
                Whole("/base/5/2", testing::RandomBytes(70000, 2), 2),
                Whole("/base/5/3", std::string(3 * pg::kBlockSize, 'c'), 2)});
  }
  void AddDelta() {
    store_.Add(std::string(kDelta), std::string(kFull),
               {Dir("/base"), Dir("/base/5"), Whole("/PG_VERSION", "15\n"),
                Inc("/base/5/1", TestIncrement(40, {1, 4}, "XY")), Skip("/base/5/2"),
                Inc("/base/5/3", TestIncrement(3, {2}, "Z"), 2)});
  }
  // WAL segments [first, last] of timeline 1.
  void AddWal(uint64_t first, uint64_t last) {
    for (uint64_t segno = first; segno <= last; ++segno) {
      storage_.Commit(std::string(wal::kWalFolder) + pg::WalFileName({1, segno}), "wal");
    }
  }
  VerifyResult Run(std::string name = "LATEST", bool all = false) {
    VerifyOptions options;
    options.backup_name = std::move(name);
    options.all = all;
    options.download_concurrency = 2;
    options.download_file_retries = 0;
    return VerifyBackups(store_.catalog(), Folder(storage_, std::string(wal::kWalFolder)),
                         store_.pipeline(), options);
  }
  void Flip(const std::string& key, size_t offset) {
    std::string data = ReadObject(storage_, key);
    auto metadata = ReadMetadata(storage_, key);
    data.at(offset) ^= 0x40;
    storage_.Commit(key, data, metadata);
  }
  std::string Part(std::string_view backup, int number) {
    return BackupTarPartitionsKey(backup) + TarPartitionName(number, CompressionMethod::kNone);
  }

  MemoryStorage storage_;
  ChainStore store_{storage_};
};

TEST_F(VerifyTest, GoodFullBackupPasses) {
  AddFull();
  AddWal(2, 4);
  VerifyResult result = Run();
  EXPECT_TRUE(result.success()) << ::testing::PrintToString(result.errors);
  EXPECT_EQ(result.backups, std::vector<std::string>{std::string(kFull)});
  EXPECT_EQ(result.backups_checked, 1u);
  EXPECT_EQ(result.backups_failed, 0u);
  // PG_VERSION, three relation files, pg_control, backup_label.
  EXPECT_EQ(result.files_checked, 6u);
  EXPECT_GT(result.bytes_read, 370000u);
  EXPECT_EQ(result.wal_segments_checked, 3u);
  EXPECT_EQ(result.wal_segments_missing, 0u);
}

// ChainStore's pg_control is a few bytes: of no layout verify reads. The backup still passes, and
// a warning says its pages' checksums were not checked.
TEST_F(VerifyTest, ControlFileOfAnUnknownLayoutIsSaid) {
  AddFull();
  AddWal(2, 4);
  testing::LogCapture log;
  VerifyResult result = Run();
  EXPECT_TRUE(result.success()) << ::testing::PrintToString(result.errors);
  EXPECT_THAT(log.str(), HasSubstr("warning: backup " + std::string(kFull) +
                                   ": page checksums are not checked: its global/pg_control is "
                                   "not of a layout this version reads"));
}

TEST_F(VerifyTest, NoPgControlTarIsSaid) {
  AddFull();
  AddWal(2, 4);
  const std::vector<std::string> control_tar{BackupTarPartitionsKey(kFull) + "pg_control.tar"};
  storage_.Delete(control_tar);
  testing::LogCapture log;
  VerifyResult result = Run();
  EXPECT_THAT(log.str(), HasSubstr("backup " + std::string(kFull) +
                                   ": page checksums are not checked: it has no pg_control tar"));
}

TEST_F(VerifyTest, DeltaChecksItsWholeChain) {
  AddFull();
  AddDelta();
  AddWal(2, 3);
  VerifyResult result = Run(std::string(kDelta));
  EXPECT_TRUE(result.success()) << ::testing::PrintToString(result.errors);
  EXPECT_EQ(result.backups, (std::vector<std::string>{std::string(kFull), std::string(kDelta)}));
  EXPECT_EQ(result.backups_checked, 2u);
}

TEST_F(VerifyTest, FlippedByteInAPartFailsNamingThePartAndFile) {
  AddFull();
  AddWal(2, 4);
  // Inside /base/5/2's content in part 2 (after its 512-byte tar header).
  Flip(Part(kFull, 2), 5000);
  VerifyResult result = Run();
  EXPECT_FALSE(result.success());
  EXPECT_EQ(result.backups_failed, 1u);
  EXPECT_THAT(result.errors,
              Contains(AllOf(HasSubstr(std::string(kFull)), HasSubstr(Part(kFull, 2)),
                             HasSubstr("base/5/2"), HasSubstr("SHA-256"))));
}

TEST_F(VerifyTest, MissingPartFailsNamingIt) {
  AddFull();
  AddWal(2, 4);
  storage_.Delete(std::vector<std::string>{Part(kFull, 2)});
  VerifyResult result = Run();
  EXPECT_FALSE(result.success());
  EXPECT_THAT(result.errors, Contains(AllOf(HasSubstr(Part(kFull, 2)), HasSubstr("missing"))));
  EXPECT_THAT(result.errors, Contains(AllOf(HasSubstr("in no part"), HasSubstr("base/5/2"))));
}

TEST_F(VerifyTest, FileMissingFromItsTarFailsNamingIt) {
  auto lost = Whole("/base/5/9", "lost");
  lost.omit = true;
  store_.Add(std::string(kFull), "", {Dir("/base"), Whole("/PG_VERSION", "15\n"), lost});
  AddWal(2, 2);
  VerifyResult result = Run();
  EXPECT_FALSE(result.success());
  ASSERT_EQ(result.errors.size(), 1u) << ::testing::PrintToString(result.errors);
  EXPECT_THAT(result.errors[0], AllOf(HasSubstr(std::string(kFull)), HasSubstr("base/5/9")));
}

TEST_F(VerifyTest, DamagedIncrementFailsNamingTheFile) {
  AddFull();
  std::string bad = TestIncrement(3, {2}, "Z");
  bad[0] = 'x';  // the signature; recorded as is, so only the increment's check can see it
  store_.Add(std::string(kDelta), std::string(kFull),
             {Dir("/base"), Whole("/PG_VERSION", "15\n"), Inc("/base/5/1", bad), Skip("/base/5/2"),
              Skip("/base/5/3")});
  AddWal(2, 3);
  VerifyResult result = Run(std::string(kDelta));
  EXPECT_FALSE(result.success());
  EXPECT_EQ(result.backups_failed, 1u);
  EXPECT_THAT(result.errors, Contains(AllOf(HasSubstr(std::string(kDelta)), HasSubstr("base/5/1"),
                                            HasSubstr("part_001"))));
}

TEST_F(VerifyTest, DeltaWhoseBaseIsGoneFails) {
  AddFull();
  AddDelta();
  AddWal(2, 3);
  storage_.Delete(std::vector<std::string>{BackupSentinelKey(kFull)});
  VerifyResult result = Run(std::string(kDelta));
  EXPECT_FALSE(result.success());
  EXPECT_THAT(result.errors,
              Contains(AllOf(HasSubstr(std::string(kDelta)), HasSubstr("delta chain"),
                             HasSubstr(std::string(kFull)))));
}

TEST_F(VerifyTest, MissingWalSegmentFailsNamingIt) {
  AddFull();
  AddWal(2, 6);
  storage_.Delete(std::vector<std::string>{std::string(wal::kWalFolder) + pg::WalFileName({1, 4})});
  VerifyResult result = Run();
  EXPECT_FALSE(result.success());
  EXPECT_EQ(result.backups_failed, 0u);
  EXPECT_EQ(result.wal_segments_checked, 5u);
  EXPECT_EQ(result.wal_segments_missing, 1u);
  EXPECT_THAT(result.errors, Contains(HasSubstr("WAL segment 000000010000000000000004")));
}

TEST_F(VerifyTest, WalNotReachingTheBackupsEndFails) {
  AddFull();
  VerifyResult result = Run();
  EXPECT_FALSE(result.success());
  EXPECT_THAT(result.errors, Contains(HasSubstr("no WAL segment archived")));
}

TEST_F(VerifyTest, AllChecksEveryBackupOnce) {
  AddFull();
  AddDelta();
  AddWal(2, 3);
  VerifyResult result = Run("", /*all=*/true);
  EXPECT_TRUE(result.success()) << ::testing::PrintToString(result.errors);
  EXPECT_EQ(result.backups_checked, 2u);
}

TEST_F(VerifyTest, NoBackupFails) {
  VerifyResult result = Run();
  EXPECT_FALSE(result.success());
  EXPECT_THAT(result.errors, Contains(HasSubstr("no backups found")));
}

// A pg_control with data_checksum_version set, and a relation file with one good and one
// corrupt page: only the corrupt one is reported, by its block number.
TEST_F(VerifyTest, PageChecksumsCheckedWhenTheClusterHasThem) {
  auto make_page = [](uint32_t block, bool good) {
    std::string page(pg::kBlockSize, '\0');
    uint32_t lsn_low = 0x100;  // pd_lsn: {xlogid, xrecoff}, 0/100
    std::memcpy(page.data() + 4, &lsn_low, sizeof lsn_low);
    uint16_t lower = 28, upper = 8000, special = 8192, version = 8192 | 4;
    std::memcpy(page.data() + 12, &lower, 2);
    std::memcpy(page.data() + 14, &upper, 2);
    std::memcpy(page.data() + 16, &special, 2);
    std::memcpy(page.data() + 18, &version, 2);
    page[9000 % pg::kBlockSize] = 'd';
    uint16_t checksum = pg::PageChecksum(AsBytes(page), block);
    if (!good) checksum ^= 1;
    std::memcpy(page.data() + 8, &checksum, 2);
    return page;
  };
  std::string control(8192, '\0');
  auto put32 = [&](size_t offset, uint32_t value) {
    std::memcpy(control.data() + offset, &value, 4);
  };
  put32(216, 8192);
  put32(220, pg::kBlocksPerSegment);
  put32(224, 8192);
  put32(252, 1);
  std::optional<bool> on = ControlFileHasDataChecksums(AsBytes(control));
  ASSERT_TRUE(on.has_value());
  EXPECT_TRUE(*on);

  store_.Add(std::string(kFull), "",
             {Dir("/base"), Dir("/base/5"),
              Whole("/base/5/7", make_page(0, true) + make_page(1, false) + make_page(2, true)),
              Whole("/base/5/8.1", make_page(pg::kBlocksPerSegment, true))});
  AddWal(2, 2);
  {
    // The backup's pg_control tar, holding that control file.
    std::unique_ptr<Writer> out = storage_.Put(BackupTarPartitionsKey(kFull) + "pg_control.tar");
    TarWriter tar(*out);
    TarEntry entry;
    entry.name = "/global/pg_control";
    entry.size = control.size();
    tar.AddEntry(entry);
    tar.Write(AsBytes(control));
    tar.Close();
  }
  VerifyResult result = Run();
  ASSERT_EQ(result.errors.size(), 1u) << ::testing::PrintToString(result.errors);
  EXPECT_THAT(result.errors[0],
              AllOf(HasSubstr(Part(kFull, 1)), HasSubstr("file base/5/7: 1 page(s)"),
                    HasSubstr("blocks 1)")));

  put32(252, 0);
  EXPECT_EQ(ControlFileHasDataChecksums(AsBytes(control)), std::optional<bool>(false));
  EXPECT_EQ(ControlFileHasDataChecksums(AsBytes(std::string("short"))), std::nullopt);
}

TEST(VerifyReportTest, ReportAndMetricsCarryTheContract) {
  VerifyResult result;
  result.started_at = Timestamp(std::chrono::seconds(1733580000));
  result.finished_at = Timestamp(std::chrono::seconds(1733580060));
  result.backups = {"base_000000010000000000000002"};
  result.backups_checked = 1;
  result.backups_failed = 1;
  result.errors = {"backup base_000000010000000000000002: part x: damaged"};
  nlohmann::json report =
      nlohmann::json::parse(RenderVerifyReport(result, ReportOrigin{"db1", "1.2.3"}));
  EXPECT_EQ(report["version"], 1);
  EXPECT_EQ(report["kind"], "verify");
  EXPECT_EQ(report["started_at"], "2024-12-07T14:00:00Z");
  EXPECT_EQ(report["finished_at"], "2024-12-07T14:01:00Z");
  EXPECT_EQ(report["success"], false);
  EXPECT_EQ(report["host"], "db1");
  EXPECT_EQ(report["walnut_version"], "1.2.3");
  EXPECT_EQ(report["errors"].size(), 1u);
  for (const char* key : {"backups_checked", "backups_failed", "files_checked", "bytes_read",
                          "wal_segments_checked", "wal_segments_missing"}) {
    EXPECT_TRUE(report.contains(key)) << key;
  }
  std::string text = RenderVerifyMetrics(result, "s3://bucket/path");
  EXPECT_THAT(text, HasSubstr("walnut_verify_last_run_timestamp_seconds{storage=\"s3://bucket/"
                              "path\",source=\"verify\"} 1733580060\n"));
  EXPECT_THAT(text, HasSubstr("walnut_verify_last_success{storage=\"s3://bucket/path\","
                              "source=\"verify\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("walnut_verify_last_backups_checked{"));
  EXPECT_THAT(text, HasSubstr("walnut_verify_last_errors{storage=\"s3://bucket/path\","
                              "source=\"verify\"} 1\n"));
}

}  // namespace
}  // namespace walnut::verify
