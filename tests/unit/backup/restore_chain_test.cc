#include "backup/delta/restore_chain.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backup/backup_name.h"
#include "storage/memory/memory_storage.h"
#include "support/test_util.h"

namespace walnut {
namespace {

using testing::ExpectError;
using Plan = ChainPlan::FilePlan;

BackupFileDescription Whole(std::string sha256 = "") {
  BackupFileDescription file;
  file.sha256 = std::move(sha256);
  return file;
}
BackupFileDescription Incremented() {
  BackupFileDescription file;
  file.is_incremented = true;
  return file;
}
BackupFileDescription Skipped() {
  BackupFileDescription file;
  file.is_skipped = true;
  return file;
}

FilesMetadata Meta(std::map<std::string, BackupFileDescription> files,
                   std::map<std::string, std::vector<std::string>> tar_file_sets = {}) {
  FilesMetadata metadata;
  metadata.files = std::move(files);
  metadata.tar_file_sets = std::move(tar_file_sets);
  return metadata;
}

// Feeds a level's files metadata to the plan as ReadFilesMetadata would.
void Feed(ChainPlan& plan, size_t level, const FilesMetadata& metadata) {
  FilesMetadataVisitor visitor = plan.Visitor(level);
  for (const auto& [path, file] : metadata.files) visitor.on_file(path, file);
  for (const auto& [tar, paths] : metadata.tar_file_sets) visitor.on_tar_file_set(tar, paths);
  plan.FinishLevel(level);
}

ChainPlan ThreeLevels() { return ChainPlan({"full", "delta1", "delta2"}); }

TEST(ChainPlanTest, TakesEachFileFromItsNewestWholeCopyAndTheIncrementsAbove) {
  ChainPlan plan = ThreeLevels();
  Feed(plan, 2,
       Meta({{"/base/1/a", Incremented()},
             {"/base/1/b", Skipped()},
             {"/base/1/c", Whole("AB")},
             {"/base/1/d", Skipped()}},
            {{"part_001.tar", {"/base/1/a", "/base/1/c"}}}));
  Feed(plan, 1,
       Meta({{"/base/1/a", Skipped()},
             {"/base/1/b", Incremented()},
             {"/base/1/c", Incremented()},
             {"/base/1/d", Whole()},
             {"/base/1/gone", Whole()}},
            {{"part_001.tar", {"/base/1/b", "/base/1/c"}},
             {"part_002.tar", {"/base/1/gone"}},
             {"part_003.tar", {"/base/1/d"}}}));
  Feed(plan, 0,
       Meta({{"/base/1/a", Whole("cd")},
             {"/base/1/b", Whole()},
             {"/base/1/c", Whole()},
             {"/base/1/d", Whole()}},
            {{"part_001.tar", {"/base/1/a", "/base/1/b", "/base/1/c", "/base/1/d"}},
             {"part_002.tar", {"/base/1/gone"}}}));
  EXPECT_EQ(plan.files(), 4u);
  const Plan* a = plan.Find("base/1/a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->whole_level, 0);
  EXPECT_EQ(a->last_level, 2);
  EXPECT_EQ(a->pieces, 2);
  EXPECT_EQ(plan.Sha256(0, a), "cd");
  EXPECT_EQ(plan.Sha256(2, a), "");
  const Plan* b = plan.Find("base/1/b");
  EXPECT_EQ(b->whole_level, 0);
  EXPECT_EQ(b->last_level, 1);
  EXPECT_EQ(b->pieces, 2);
  const Plan* c = plan.Find("base/1/c");
  EXPECT_EQ(c->whole_level, 2);
  EXPECT_EQ(c->last_level, 2);
  EXPECT_EQ(c->pieces, 1);
  EXPECT_EQ(plan.Sha256(2, c), "ab");  // lower-cased
  const Plan* d = plan.Find("base/1/d");
  EXPECT_EQ(d->whole_level, 1);
  EXPECT_EQ(d->pieces, 1);
  // Dropped since delta1: never restored.
  EXPECT_EQ(plan.Find("base/1/gone"), nullptr);
  // Tars: the target's always; delta1's part_002 holds only the dropped file; the full's
  // part_002 too, and its part_001 holds a and b.
  EXPECT_TRUE(plan.TarNeeded(2, "part_009.tar"));
  EXPECT_TRUE(plan.TarNeeded(1, "part_001.tar"));
  EXPECT_FALSE(plan.TarNeeded(1, "part_002.tar"));
  EXPECT_TRUE(plan.TarNeeded(1, "part_003.tar"));
  EXPECT_TRUE(plan.TarNeeded(0, "part_001.tar"));
  EXPECT_FALSE(plan.TarNeeded(0, "part_002.tar"));
  EXPECT_FALSE(plan.TarNeeded(0, "part_003.tar"));  // not listed at all
}

TEST(ChainPlanTest, ALevelWithoutTarFileSetsNeedsEveryTar) {
  ChainPlan plan({"full", "delta1"});
  Feed(plan, 1, Meta({{"/x", Incremented()}}));
  Feed(plan, 0, Meta({{"/x", Whole()}}));
  EXPECT_TRUE(plan.TarNeeded(0, "part_001.tar"));
}

TEST(ChainPlanTest, TheTargetDecidesWhichFilesExist) {
  // A file truncated, then re-extended: still one plan, from its pieces.
  ChainPlan plan = ThreeLevels();
  Feed(plan, 2, Meta({{"/base/1/t", Incremented()}}));
  Feed(plan, 1, Meta({{"/base/1/t", Incremented()}, {"/base/1/ghost", Whole()}}));
  Feed(plan, 0, Meta({{"/base/1/t", Whole()}, {"/base/1/ghost", Whole()}}));
  EXPECT_EQ(plan.files(), 1u);
  EXPECT_EQ(plan.Find("base/1/t")->pieces, 3);
  EXPECT_EQ(plan.Find("base/1/ghost"), nullptr);
}

TEST(ChainPlanTest, AMissingBaseEntryIsCorruptionNamingFileAndBackups) {
  ChainPlan plan = ThreeLevels();
  Feed(plan, 2, Meta({{"/base/1/a", Incremented()}, {"/base/1/b", Whole()}}));
  Error e = ExpectError([&] { Feed(plan, 1, Meta({{"/base/1/b", Whole()}})); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_STREQ(e.what(),
               "backup delta2: file base/1/a is an increment in delta2, but its base delta1 does "
               "not list it");
}

TEST(ChainPlanTest, AnIncrementOrSkipInTheFullBackupIsCorruption) {
  ChainPlan plan({"full", "delta1"});
  Feed(plan, 1, Meta({{"/base/1/a", Skipped()}}));
  Error e = ExpectError([&] { Feed(plan, 0, Meta({{"/base/1/a", Incremented()}})); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find("base/1/a is an increment in full"), std::string::npos)
      << e.what();
}

TEST(ChainPlanTest, RefusesUnsafePathsAndDuplicates) {
  ChainPlan plan({"full", "delta1"});
  EXPECT_EQ(ExpectError([&] {
              Feed(plan, 1, Meta({{"/../x", Whole()}}));
            }).code(),
            ErrorCode::kCorruption);
  ChainPlan other({"full", "delta1"});
  FilesMetadataVisitor visitor = other.Visitor(1);
  visitor.on_file("/x", Whole());
  EXPECT_EQ(ExpectError([&] { visitor.on_file("x", Whole()); }).code(), ErrorCode::kCorruption);
}

class LoadChainTest : public ::testing::Test {
 protected:
  BackupSentinel Store(const std::string& name, pg::Lsn lsn, const std::string& base = "",
                       pg::Lsn base_lsn = 0, uint64_t system = 7) {
    BackupSentinel s;
    s.lsn = lsn;
    s.finish_lsn = lsn + 100;
    s.system_identifier = system;
    if (!base.empty()) {
      s.delta_from = base;
      s.delta_lsn = base_lsn;
      s.delta_full_name = "base_000000010000000000000002";
      s.delta_count = 1;
    }
    storage_.Commit(BackupSentinelKey(name), SerializeBackupSentinel(s));
    return s;
  }

  MemoryStorage storage_{"chain"};
  BackupCatalog catalog_{Folder(storage_, "")};
};

TEST_F(LoadChainTest, FollowsDeltaFromToTheFullBackup) {
  Store("base_000000010000000000000002", 2 << 24);
  Store("base_000000010000000000000004_D_000000010000000000000002", 4 << 24,
        "base_000000010000000000000002", 2 << 24);
  BackupSentinel target =
      Store("base_000000010000000000000006_D_000000010000000000000004", 6 << 24,
            "base_000000010000000000000004_D_000000010000000000000002", 4 << 24);
  std::vector<ChainLevel> chain =
      LoadChain(catalog_, "base_000000010000000000000006_D_000000010000000000000004", target);
  ASSERT_EQ(chain.size(), 3u);
  EXPECT_EQ(chain[0].name, "base_000000010000000000000002");
  EXPECT_EQ(chain[1].name, "base_000000010000000000000004_D_000000010000000000000002");
  EXPECT_EQ(chain[2].sentinel, target);
}

TEST_F(LoadChainTest, RefusesAMissingBase) {
  BackupSentinel target = Store("d", 6 << 24, "gone", 4 << 24);
  Error e = ExpectError([&] { LoadChain(catalog_, "d", target); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_NE(std::string(e.what()).find("backup d: the delta chain is broken: d is a delta of gone"),
            std::string::npos)
      << e.what();
}

TEST_F(LoadChainTest, RefusesALoop) {
  Store("a", 2 << 24, "b", 4 << 24);
  BackupSentinel b = Store("b", 4 << 24, "a", 2 << 24);
  Error e = ExpectError([&] { LoadChain(catalog_, "b", b); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find("loops"), std::string::npos) << e.what();
}

TEST_F(LoadChainTest, RefusesABaseOfAnotherCluster) {
  Store("full", 2 << 24, "", 0, 8);
  BackupSentinel d = Store("d", 4 << 24, "full", 2 << 24, 7);
  Error e = ExpectError([&] { LoadChain(catalog_, "d", d); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find("another cluster"), std::string::npos) << e.what();
}

TEST_F(LoadChainTest, RefusesABaseThatStartsElsewhere) {
  Store("full", 2 << 24);
  BackupSentinel d = Store("d", 4 << 24, "full", 3 << 24);
  Error e = ExpectError([&] { LoadChain(catalog_, "d", d); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find("replaced"), std::string::npos) << e.what();
}

TEST_F(LoadChainTest, RefusesAnEndlessChain) {
  std::string previous = "full";
  Store(previous, 1);
  BackupSentinel last;
  for (size_t i = 0; i < kMaxChainLength; ++i) {
    std::string name = "d" + std::to_string(i);
    last = Store(name, 2 + i, previous, 1 + i);
    previous = name;
  }
  Error e = ExpectError([&] { LoadChain(catalog_, previous, last); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find("longer than 1000"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace walnut
