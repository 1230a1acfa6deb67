#include "backup/delta/delta_base.h"

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "backup/backup_name.h"
#include "backup/delta/base_files.h"
#include "backup/delta/page_selection.h"
#include "common/error.h"
#include "postgres/page_checksum.h"
#include "storage/memory/memory_storage.h"
#include "support/test_util.h"

namespace walnut {
namespace {

using testing::ExpectError;

class DeltaBaseTest : public ::testing::Test {
 protected:
  // Stores a backup; later calls get later LastModified times (LATEST is the last one added).
  void AddBackup(const std::string& name, const std::string& delta_from = "", int count = 0,
                 bool permanent = false) {
    BackupSentinel s;
    s.lsn = 0x1000000 * (++added_);
    s.finish_lsn = s.lsn + 100;
    s.system_identifier = 7;
    s.delta_from = delta_from;
    s.delta_count = count;
    if (!delta_from.empty()) {
      BackupSentinel base = catalog_.LoadSentinel(delta_from);
      s.delta_full_name = base.IsDelta() ? base.delta_full_name : delta_from;
      s.delta_lsn = base.lsn;
    }
    ExtendedMetadata metadata = MetadataFromSentinel(s);
    metadata.is_permanent = permanent;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    storage_.Commit(BackupMetadataKey(name), SerializeExtendedMetadata(metadata));
    storage_.Commit(BackupSentinelKey(name), SerializeBackupSentinel(s));
  }
  static DeltaRequest Steps(int max_steps) {
    DeltaRequest request;
    request.max_steps = max_steps;
    return request;
  }

  int added_ = 0;
  MemoryStorage storage_{"delta"};
  BackupCatalog catalog_{Folder(storage_, "")};
};

const std::string kFull = "base_000000010000000000000002";
const std::string kDelta1 = "base_000000010000000000000004_D_000000010000000000000002";
const std::string kDelta2 = "base_000000010000000000000006_D_000000010000000000000004";

TEST_F(DeltaBaseTest, NoDeltaWhenOffForcedFullOrNothingToDeltaFrom) {
  EXPECT_FALSE(ChooseDeltaBase(catalog_, Steps(3)));  // no backups yet
  AddBackup(kFull);
  EXPECT_FALSE(ChooseDeltaBase(catalog_, Steps(0)));
  DeltaRequest full = Steps(3);
  full.full = true;
  EXPECT_FALSE(ChooseDeltaBase(catalog_, full));
  auto base = ChooseDeltaBase(catalog_, Steps(3));
  ASSERT_TRUE(base);
  EXPECT_EQ(base->name, kFull);
  EXPECT_EQ(base->full_name, kFull);
  EXPECT_EQ(base->count, 1);
  EXPECT_EQ(base->sentinel.lsn, 0x1000000u);
}

TEST_F(DeltaBaseTest, TheChainStopsAtMaxStepsAndLatestFullKeepsTheLatestCount) {
  AddBackup(kFull);
  AddBackup(kDelta1, kFull, 1);
  AddBackup(kDelta2, kDelta1, 2);
  EXPECT_FALSE(ChooseDeltaBase(catalog_, Steps(2)));  // a third delta would pass the limit
  auto base = ChooseDeltaBase(catalog_, Steps(3));
  ASSERT_TRUE(base);
  EXPECT_EQ(base->name, kDelta2);
  EXPECT_EQ(base->full_name, kFull);
  EXPECT_EQ(base->count, 3);

  DeltaRequest latest_full = Steps(3);
  latest_full.from_latest_full = true;
  base = ChooseDeltaBase(catalog_, latest_full);
  ASSERT_TRUE(base);
  EXPECT_EQ(base->name, kFull);
  EXPECT_EQ(base->count, 3);  // WAL-G: counted from the latest backup
}

TEST_F(DeltaBaseTest, DeltaFromNameAndPermanentBases) {
  AddBackup(kFull, "", 0, /*permanent=*/true);
  AddBackup(kDelta1, kFull, 1);
  DeltaRequest named = Steps(5);
  named.from_name = kFull;
  EXPECT_FALSE(ChooseDeltaBase(catalog_, named));  // permanent base, non-permanent delta
  named.permanent = true;
  auto base = ChooseDeltaBase(catalog_, named);
  ASSERT_TRUE(base);
  EXPECT_EQ(base->name, kFull);

  named.from_name = "base_0000000100000000000000FF";
  Error e = ExpectError([&] { ChooseDeltaBase(catalog_, named); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
}

TEST_F(DeltaBaseTest, PermanentDeltaMarksEveryAncestor) {
  AddBackup(kFull);
  AddBackup(kDelta1, kFull, 1);
  auto base = ChooseDeltaBase(catalog_, Steps(5));
  ASSERT_TRUE(base);
  MarkAncestorsPermanent(catalog_, *base);
  EXPECT_TRUE(catalog_.LoadMetadata(kDelta1).is_permanent);
  EXPECT_TRUE(catalog_.LoadMetadata(kFull).is_permanent);
}

TEST_F(DeltaBaseTest, CheckRefusesABaseFromTheFutureOrAnotherSystem) {
  AddBackup(kFull);
  auto base = ChooseDeltaBase(catalog_, Steps(1));
  ASSERT_TRUE(base);
  Error late = ExpectError([&] { CheckDeltaBase(*base, 0x1000000 + 50, 7); });
  EXPECT_NE(
      std::string(late.what()).find("Finish LSN of backup " + kFull + " greater than current LSN"),
      std::string::npos)
      << late.what();
  Error other = ExpectError([&] { CheckDeltaBase(*base, 0x9000000, 8); });
  EXPECT_NE(std::string(other.what()).find("database of base backup are not equal"),
            std::string::npos)
      << other.what();
  CheckDeltaBase(*base, 0x9000000, 7);
}

std::string Page(pg::Lsn lsn, uint16_t lower, uint16_t upper, uint16_t flags = 0) {
  std::string page(pg::kBlockSize, 'x');
  uint32_t hi = static_cast<uint32_t>(lsn >> 32), lo = static_cast<uint32_t>(lsn);
  uint16_t special = 8192, size_version = 8192 | 4;
  std::memcpy(page.data(), &hi, 4);
  std::memcpy(page.data() + 4, &lo, 4);
  std::memcpy(page.data() + 10, &flags, 2);
  std::memcpy(page.data() + 12, &lower, 2);
  std::memcpy(page.data() + 14, &upper, 2);
  std::memcpy(page.data() + 16, &special, 2);
  std::memcpy(page.data() + 18, &size_version, 2);
  return page;
}

TEST(PageSelectionTest, ChangedUnchangedNewAndInvalidPages) {
  constexpr pg::Lsn kBase = 0x5000000;
  EXPECT_EQ(ClassifyPageForDelta(AsBytes(Page(kBase - 1, 28, 8000)), kBase), PageDelta::kUnchanged);
  EXPECT_EQ(ClassifyPageForDelta(AsBytes(Page(kBase, 28, 8000)), kBase), PageDelta::kChanged);
  EXPECT_EQ(ClassifyPageForDelta(AsBytes(std::string(pg::kBlockSize, '\0')), kBase),
            PageDelta::kChanged);  // new
  EXPECT_EQ(ClassifyPageForDelta(AsBytes(Page(kBase, 9000, 8000)), kBase),
            PageDelta::kInvalid);  // lower > upper
  EXPECT_EQ(ClassifyPageForDelta(AsBytes(Page(0, 28, 8000)), kBase), PageDelta::kInvalid);
  EXPECT_EQ(ClassifyPageForDelta(AsBytes(Page(kBase, 28, 8000, 0x10)), kBase),
            PageDelta::kInvalid);  // unknown flag
}

TEST(BaseFilesTest, UnchangedNeedsTheSameMtimeSizeAndAMarginBeforeTheBaseStarted) {
  Timestamp start = *ParseRfc3339("2026-01-01T12:00:00Z");
  BaseFiles files(start);
  Timestamp old = start - std::chrono::hours(1);
  files.Add("/old", old, 100);
  files.Add("/recent", start - std::chrono::milliseconds(300), 100);
  files.Add("/nosize", old, std::nullopt);
  auto entry = [](const std::string& name, Timestamp mtime, uint64_t size) {
    WalkedEntry e;
    e.header.name = name;
    e.header.size = size;
    e.mtime = mtime;
    return e;
  };
  EXPECT_TRUE(files.Unchanged(entry("/old", old, 100)));
  EXPECT_TRUE(files.Unchanged(entry("/nosize", old, 5)));
  EXPECT_FALSE(files.Unchanged(entry("/old", old, 101)));
  EXPECT_FALSE(files.Unchanged(entry("/old", old + std::chrono::nanoseconds(1), 100)));
  EXPECT_FALSE(files.Unchanged(entry("/recent", start - std::chrono::milliseconds(300), 100)));
  EXPECT_FALSE(files.Unchanged(entry("/absent", old, 100)));
  EXPECT_TRUE(files.Contains("/recent"));
  EXPECT_FALSE(files.Contains("/absent"));
}

}  // namespace
}  // namespace walnut
