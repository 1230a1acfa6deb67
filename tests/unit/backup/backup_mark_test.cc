#include "backup/backup_mark.h"

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "backup/backup_name.h"
#include "common/error.h"
#include "storage/memory/memory_storage.h"
#include "support/faulty_storage.h"
#include "support/test_util.h"

namespace walnut {
namespace {

using testing::ExpectError;
using testing::StorageOp;

const std::string kFull = "base_000000010000000000000002";
const std::string kDelta1 = "base_000000010000000000000004_D_000000010000000000000002";
const std::string kDelta2 = "base_000000010000000000000006_D_000000010000000000000004";
// A second branch on the full: another delta taken against it.
const std::string kBranch = "base_000000010000000000000008_D_000000010000000000000002";

class BackupMarkTest : public ::testing::Test {
 protected:
  // Stores a backup; later calls get later LastModified times (LATEST is the last one added).
  void AddBackup(const std::string& name, const std::string& delta_from = "",
                 bool permanent = false, bool with_metadata = true) {
    BackupSentinel s;
    s.lsn = 0x1000000 * (++added_);
    s.finish_lsn = s.lsn + 100;
    s.hostname = "host";
    s.delta_from = delta_from;
    if (!delta_from.empty()) {
      s.delta_full_name = kFull;
      s.delta_lsn = 0x1000000;
      s.delta_count = 1;
    }
    ExtendedMetadata metadata = MetadataFromSentinel(s);
    metadata.is_permanent = permanent;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (with_metadata) memory_.Commit(BackupMetadataKey(name), SerializeExtendedMetadata(metadata));
    memory_.Commit(BackupSentinelKey(name), SerializeBackupSentinel(s));
  }
  void AddChain() {
    AddBackup(kFull);
    AddBackup(kDelta1, kFull);
    AddBackup(kDelta2, kDelta1);
  }
  bool Permanent(const std::string& name) { return catalog_.LoadMetadata(name).is_permanent; }
  uint64_t Puts() const { return storage_.calls(StorageOp::kPut); }

  int added_ = 0;
  MemoryStorage memory_{"mark"};
  testing::FaultyStorage storage_{memory_};
  BackupCatalog catalog_{Folder(storage_, "")};
};

TEST_F(BackupMarkTest, MarkingADeltaMarksItsWholeChainAndNothingElse) {
  AddChain();
  AddBackup(kBranch, kFull);
  MarkBackup(catalog_, kDelta2, true);
  EXPECT_TRUE(Permanent(kDelta2));
  EXPECT_TRUE(Permanent(kDelta1));
  EXPECT_TRUE(Permanent(kFull));
  EXPECT_FALSE(Permanent(kBranch));
  // The sentinels keep what they said at push time (WAL-G: metadata.json is authoritative).
  EXPECT_FALSE(catalog_.LoadSentinel(kFull).is_permanent);
}

TEST_F(BackupMarkTest, MarkingAgainWritesNothing) {
  AddChain();
  MarkBackup(catalog_, kDelta1, true);
  EXPECT_EQ(Puts(), 2u);  // delta 1 and the full
  MarkBackup(catalog_, kDelta1, true);
  EXPECT_EQ(Puts(), 2u);
  MarkBackup(catalog_, kDelta2, true);  // only delta 2 is new
  EXPECT_EQ(Puts(), 3u);
  MarkBackup(catalog_, kDelta2, false);
  EXPECT_EQ(Puts(), 4u);
  MarkBackup(catalog_, kDelta2, false);
  EXPECT_EQ(Puts(), 4u);
  EXPECT_FALSE(Permanent(kDelta2));
  EXPECT_TRUE(Permanent(kDelta1));
}

TEST_F(BackupMarkTest, UnmarkingABaseOfAPermanentBackupIsRefusedAndChangesNothing) {
  AddChain();
  MarkBackup(catalog_, kDelta2, true);
  const uint64_t puts = Puts();
  // The full: delta 2 depends on it through delta 1. Both are named, newest first.
  Error e = ExpectError([&] { MarkBackup(catalog_, kFull, false); });
  EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(std::string(e.what()),
            "cannot mark backup " + kFull + " impermanent: permanent backups " + kDelta2 + ", " +
                kDelta1 + " depend on it; unmark them first, in that order (backup-mark -i " +
                kDelta2 + ")");
  e = ExpectError([&] { MarkBackup(catalog_, kDelta1, false); });
  EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(std::string(e.what()).find("permanent backup " + kDelta2 + " depends on it"),
            std::string::npos)
      << e.what();
  EXPECT_EQ(Puts(), puts);
  EXPECT_TRUE(Permanent(kFull));
  EXPECT_TRUE(Permanent(kDelta1));

  // Newest first works, one backup at a time.
  MarkBackup(catalog_, kDelta2, false);
  EXPECT_FALSE(Permanent(kDelta2));
  EXPECT_TRUE(Permanent(kDelta1));
  MarkBackup(catalog_, kDelta1, false);
  MarkBackup(catalog_, kFull, false);
  EXPECT_FALSE(Permanent(kDelta1));
  EXPECT_FALSE(Permanent(kFull));
}

TEST_F(BackupMarkTest, AnImpermanentDependentDoesNotBlockUnmarking) {
  AddChain();
  AddBackup(kBranch, kFull);
  MarkBackup(catalog_, kBranch, true);  // marks the full too; the other chain stays impermanent
  Error e = ExpectError([&] { MarkBackup(catalog_, kFull, false); });
  EXPECT_NE(std::string(e.what()).find("permanent backup " + kBranch + " depends on it"),
            std::string::npos)
      << e.what();
  MarkBackup(catalog_, kBranch, false);
  MarkBackup(catalog_, kFull, false);
  EXPECT_FALSE(Permanent(kFull));
}

TEST_F(BackupMarkTest, LatestAndUnknownNames) {
  AddChain();
  MarkBackup(catalog_, "LATEST", true);
  EXPECT_TRUE(Permanent(kDelta2));
  EXPECT_TRUE(Permanent(kFull));
  Error e = ExpectError([&] { MarkBackup(catalog_, "base_0000000100000000000000FF", true); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(std::string(e.what()),
            "backup 'base_0000000100000000000000FF' not found in memory://mark; run backup-list");
  MemoryStorage empty{"empty"};
  e = ExpectError([&] { MarkBackup(BackupCatalog(Folder(empty, "")), "LATEST", false); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
}

TEST_F(BackupMarkTest, AMissingBaseIsNamedAndNothingIsWritten) {
  AddChain();
  memory_.Delete(std::array{BackupSentinelKey(kDelta1)});
  const uint64_t puts = Puts();
  Error e = ExpectError([&] { MarkBackup(catalog_, kDelta2, true); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(std::string(e.what()), "backup '" + kDelta1 + "', the base of delta " + kDelta2 +
                                       ", not found in memory://mark: the delta chain of " +
                                       kDelta2 + " is broken");
  EXPECT_EQ(Puts(), puts);
  EXPECT_FALSE(Permanent(kDelta2));  // not marked before its bases: nothing written at all
  EXPECT_FALSE(Permanent(kFull));
}

TEST_F(BackupMarkTest, ALoopInTheSentinelsIsCorruptionNotAHang) {
  // Two deltas naming each other as DeltaFrom (corrupt or hand-edited sentinels).
  const std::string a = "base_000000010000000000000004_D_000000010000000000000006";
  const std::string b = "base_000000010000000000000006_D_000000010000000000000004";
  AddBackup(a, b);
  AddBackup(b, a);
  Error e = ExpectError([&] { MarkBackup(catalog_, a, true); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find("the delta chain of backup " + a + " loops (" + a + " -> " +
                                       b + " -> " + a + ")"),
            std::string::npos)
      << e.what();
  // Unmarking walks dependents, also in a loop: it ends.
  MarkBackup(catalog_, a, false);
}

TEST_F(BackupMarkTest, ABackupWithoutMetadataGetsOneWrittenFromItsSentinel) {
  AddBackup(kFull, "", false, /*with_metadata=*/false);
  EXPECT_FALSE(catalog_.TryLoadMetadata(kFull));
  MarkBackup(catalog_, kFull, false);  // already impermanent: nothing to write
  EXPECT_FALSE(catalog_.TryLoadMetadata(kFull));
  MarkBackup(catalog_, kFull, true);
  ExtendedMetadata metadata = catalog_.LoadMetadata(kFull);
  EXPECT_TRUE(metadata.is_permanent);
  EXPECT_EQ(metadata.start_lsn, 0x1000000u);
  EXPECT_EQ(metadata.hostname, "host");
}

TEST_F(BackupMarkTest, WalkBackupChainReportsTheFirstMissingBackup) {
  AddChain();
  BackupChain chain = WalkBackupChain(catalog_, kDelta2);
  ASSERT_EQ(chain.links.size(), 3u);
  EXPECT_EQ(chain.links[0].name, kDelta2);
  EXPECT_EQ(chain.links[2].name, kFull);
  EXPECT_EQ(chain.missing, "");
  memory_.Delete(std::array{BackupSentinelKey(kFull)});
  chain = WalkBackupChain(catalog_, kDelta2);
  EXPECT_EQ(chain.links.size(), 2u);
  EXPECT_EQ(chain.missing, kFull);
  EXPECT_EQ(WalkBackupChain(catalog_, kFull).missing, kFull);
}

}  // namespace
}  // namespace walnut
