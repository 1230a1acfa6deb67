#include "backup/delta/increment_applier.h"

#include <string>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "io/memory_stream.h"
#include "localfs/local_fs.h"
#include "postgres/page_checksum.h"
#include "support/increment_test_util.h"
#include "support/test_util.h"

namespace walnut {
namespace {

using testing::ExpectError;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

constexpr size_t kPage = pg::kBlockSize;
using testing::TestIncrement;

std::string Page(char fill) { return testing::TestPage(fill); }

class IncrementApplierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() / "16384";
    WriteFile(path_, Page('a') + Page('b') + Page('c') + Page('d'));
  }

  // Applies `increment` to the file (stored size: the increment's own unless given).
  void Apply(const std::string& increment, PageMask* mask = nullptr,
             std::optional<uint64_t> stored_size = std::nullopt) {
    LocalFile file = Open();
    MemoryReader in(increment);
    ApplyIncrement(in, stored_size.value_or(increment.size()), file,
                   "backup base_X_D_Y: file base/5/16384 from tar part_001.tar", mask);
  }

  // The increment is refused and the file keeps every byte.
  void ExpectRefused(const std::string& increment, const std::string& what,
                     std::optional<uint64_t> stored_size = std::nullopt) {
    std::string before = ReadFile(path_);
    Error e = ExpectError([&] { Apply(increment, nullptr, stored_size); });
    EXPECT_EQ(e.code(), ErrorCode::kCorruption);
    std::string message = e.what();
    EXPECT_NE(message.find("base/5/16384"), std::string::npos) << message;
    EXPECT_NE(message.find("base_X_D_Y"), std::string::npos) << message;
    EXPECT_NE(message.find(what), std::string::npos) << message;
    EXPECT_EQ(ReadFile(path_), before);
  }

  LocalFile Open() {
    LocalFile file;
    EXPECT_EQ(LocalFs::Default().Open(path_.string(), O_RDWR, 0, file), 0);
    return file;
  }

  TempDir dir_;
  std::filesystem::path path_;
};

TEST_F(IncrementApplierTest, WritesPagesAndExtendsTheFile) {
  Apply(TestIncrement(6, {1, 5}, "XY"));
  EXPECT_EQ(ReadFile(path_),
            Page('a') + Page('X') + Page('c') + Page('d') + Page('\0') + Page('Y'));
}

TEST_F(IncrementApplierTest, TruncatesTheFile) {
  Apply(TestIncrement(2, {0}, "X"));
  EXPECT_EQ(ReadFile(path_), Page('X') + Page('b'));
}

TEST_F(IncrementApplierTest, RefusesABadSignature) {
  std::string increment = TestIncrement(4, {1}, "X");
  increment[0] = 'x';
  ExpectRefused(increment, "bad signature");
}

TEST_F(IncrementApplierTest, RefusesATruncatedIncrement) {
  std::string increment = TestIncrement(4, {1, 2}, "XY");
  increment.resize(increment.size() - 100);
  ExpectRefused(increment, "bytes, the backup stores");
  ExpectRefused(increment.substr(0, 10), "less than a header");
}

TEST_F(IncrementApplierTest, RefusesABlockPastTheEnd) {
  ExpectRefused(TestIncrement(4, {1, 4}, "XY"), "past the end of the file");
}

TEST_F(IncrementApplierTest, RefusesDescendingBlocks) {
  ExpectRefused(TestIncrement(4, {2, 1}, "XY"), "must ascend");
}

TEST_F(IncrementApplierTest, RefusesAStoredSizeThatDoesNotMatch) {
  std::string increment = TestIncrement(4, {1}, "X");
  ExpectRefused(increment, "the backup stores", increment.size() + kPage);
}

TEST(PageMaskTest, TracksWrittenPagesAndCuts) {
  PageMask mask;
  EXPECT_FALSE(mask.started());
  mask.Start(130);
  EXPECT_TRUE(mask.Wants(0));
  EXPECT_TRUE(mask.Wants(129));
  EXPECT_FALSE(mask.Wants(130));
  mask.Mark(64);
  mask.Mark(129);
  EXPECT_FALSE(mask.Wants(64));
  EXPECT_FALSE(mask.Wants(129));
  EXPECT_TRUE(mask.Wants(63));
  mask.Cut(10);
  mask.Cut(100);  // a cut never widens
  EXPECT_EQ(mask.limit(), 10u);
  EXPECT_TRUE(mask.Wants(9));
  EXPECT_FALSE(mask.Wants(10));
}

TEST_F(IncrementApplierTest, NewestFirstWritesEachPageOnceAndKeepsNewerZeroPages) {
  WriteFile(path_, "");
  PageMask mask;
  // Newest: a 4-page file whose page 2 is all zeros in this backup.
  Apply(TestIncrement(4, {2, 3}, std::string("\0Z", 2)), &mask);
  // Older increment: pages 1 and 2 (page 2 must not replace the newer zeros).
  Apply(TestIncrement(3, {1, 2}, "BC"), &mask);
  // The whole copy at the bottom fills only what no newer piece wrote.
  LocalFile file = Open();
  std::string whole = Page('a') + Page('b') + Page('c') + Page('d') + Page('e');
  MemoryReader in(whole);
  ApplyWholeToMask(in, whole.size(), file, "whole", mask);
  // The older increment cut the file at 3 pages: page 3 is the newest's, nothing else past 3.
  EXPECT_EQ(ReadFile(path_), Page('a') + Page('B') + Page('\0') + Page('Z'));
}

TEST_F(IncrementApplierTest, NewestFirstDoesNotRefillPagesTruncatedAway) {
  // Forward: whole of 4 pages, then a truncation to 1 page, then a re-extension to 3 pages with
  // only page 2 written: page 1 is zeros.
  WriteFile(path_, "");
  PageMask mask;
  Apply(TestIncrement(3, {2}, "Z"), &mask);
  Apply(TestIncrement(1, {0}, "X"), &mask);
  LocalFile file = Open();
  std::string whole = Page('a') + Page('b') + Page('c') + Page('d');
  MemoryReader in(whole);
  ApplyWholeToMask(in, whole.size(), file, "whole", mask);
  EXPECT_EQ(ReadFile(path_), Page('X') + Page('\0') + Page('Z'));
}

}  // namespace
}  // namespace walnut
