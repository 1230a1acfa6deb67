// restore_command's work (RestoreWalFile) and the prefetcher's (PrefetchAfter), in process, on a
// real directory seen through FaultyLocalFs.
#include "wal/wal_restore.h"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "storage/memory/memory_storage.h"
#include "support/faulty_local_fs.h"
#include "support/test_util.h"
#include "support/wal_segments.h"
#include "wal/prefetch.h"
#include "wal/prefetch_dir.h"

namespace walnut::wal {
namespace {

namespace fs = std::filesystem;
using testing::ExpectError;
using testing::FaultyLocalFs;

constexpr uint64_t kSegmentSize = 1 << 20;
constexpr uint64_t kSystemId = 7000000000000000004;

std::string Segment(uint64_t segno) {
  return testing::FakeWalSegment({1, segno}, kSystemId, kSegmentSize);
}
std::string NameOf(uint64_t segno) { return pg::WalFileName({1, segno}, kSegmentSize); }

class WalRestoreTest : public ::testing::Test {
 protected:
  WalRestoreTest() : root_(storage_, "") {
    options_.segment_size = kSegmentSize;
    options_.prefetch_count = 10;
    options_.download_retries = 0;
    archive_.root = [this]() -> const Folder& {
      ++archive_opened_;
      return root_;
    };
    archive_.pipeline = [this]() -> const PipelineOptions& { return pipeline_; };
  }

  void Archive(uint64_t first, uint64_t last) {
    for (uint64_t segno = first; segno <= last; ++segno) {
      auto writer = MakeUploadWriter(root_.Sub("wal_005"),
                                     WithExtension(NameOf(segno), CompressionMethod::kLz4), {});
      writer->Write(AsBytes(Segment(segno)));
      writer->Close();
    }
  }

  std::string destination() const { return (pg_wal_.path() / "RECOVERYXLOG").string(); }
  PrefetchDir prefetch_dir() { return PrefetchDir::For(fs_, "", destination()); }
  WalRestoreResult Restore(uint64_t segno) {
    return RestoreWalFile(NameOf(segno), destination(), options_, archive_);
  }
  // What PostgreSQL does with a restored segment once replayed: removes it.
  void Replayed() { ASSERT_EQ(fs_.Unlink(destination()), 0); }

  MemoryStorage storage_;
  Folder root_;
  PipelineOptions pipeline_;
  testing::TempDir pg_wal_;
  FaultyLocalFs fs_;
  WalRestoreOptions options_{.fs = fs_};
  WalArchive archive_;
  int archive_opened_ = 0;
};

TEST_F(WalRestoreTest, RestoresASegmentAndReportsWhatIsNotArchived) {
  Archive(3, 3);
  ASSERT_EQ(Restore(3), WalRestoreResult::kRestored);
  EXPECT_EQ(testing::ReadFile(destination()), Segment(3));
  EXPECT_EQ(Restore(4), WalRestoreResult::kNotArchived);
  EXPECT_EQ(RestoreWalFile("00000002.history", destination(), options_, archive_),
            WalRestoreResult::kNotArchived);
}

TEST_F(WalRestoreTest, ABadNameIsAnInvalidArgument) {
  // The last: a segment number past the end of a log file of 1 MiB segments.
  for (std::string name : {"", "..", "a/b", "000000010000000000001000"}) {
    Error e = ExpectError([&] { RestoreWalFile(name, destination(), options_, archive_); });
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << name;
  }
  EXPECT_EQ(archive_opened_, 0);
}

TEST_F(WalRestoreTest, APrefetchHitOpensNoStorage) {
  Archive(5, 7);
  PrefetchAfter(NameOf(4), destination(), options_, archive_);
  int opened = archive_opened_;
  for (uint64_t segno = 5; segno <= 7; ++segno) {
    ASSERT_EQ(Restore(segno), WalRestoreResult::kRestored);
    EXPECT_EQ(testing::ReadFile(destination()), Segment(segno));
  }
  EXPECT_EQ(archive_opened_, opened);
}

TEST_F(WalRestoreTest, ThePrefetcherKeepsItsReserveFree) {
  Archive(5, 14);
  uint64_t reserve = PrefetchFreeSpaceReserve(kSegmentSize);
  fs_.LimitSpace(reserve + kSegmentSize * 5 / 2);
  PrefetchAfter(NameOf(4), destination(), options_, archive_);
  EXPECT_TRUE(fs::exists(prefetch_dir().ReadyPath(NameOf(5))));
  EXPECT_TRUE(fs::exists(prefetch_dir().ReadyPath(NameOf(6))));
  EXPECT_FALSE(fs::exists(prefetch_dir().ReadyPath(NameOf(7))));
  EXPECT_GE(fs_.free_space(), reserve);
}

// The case: with 3.5 segments free (50 MiB with 16 MiB segments), prefetching 10 after
// each fetch made 2 of 8 fetches fail. Now every fetch succeeds.
TEST_F(WalRestoreTest, OnANearlyFullDiskEveryFetchSucceeds) {
  Archive(1, 8);
  fs_.LimitSpace(kSegmentSize * 7 / 2);
  for (uint64_t segno = 1; segno <= 8; ++segno) {
    SCOPED_TRACE(segno);
    ASSERT_EQ(Restore(segno), WalRestoreResult::kRestored);
    EXPECT_EQ(testing::ReadFile(destination()), Segment(segno));
    PrefetchAfter(NameOf(segno), destination(), options_, archive_);  // the detached prefetcher
    Replayed();
  }
}

// Prefetched files left from when the disk had room must give way when it fills.
TEST_F(WalRestoreTest, WalFetchRemovesPrefetchedFilesWhenItsOwnFileWouldNotFit) {
  Archive(1, 12);
  PrefetchAfter(NameOf(2), destination(), options_, archive_);  // segments 3..12
  ASSERT_TRUE(fs::exists(prefetch_dir().ReadyPath(NameOf(12))));
  fs_.LimitSpace(kSegmentSize / 2);  // the rest of the disk filled meanwhile
  ASSERT_EQ(Restore(1), WalRestoreResult::kRestored);
  EXPECT_EQ(testing::ReadFile(destination()), Segment(1));
  EXPECT_FALSE(fs::exists(prefetch_dir().ReadyPath(NameOf(3))));
  Replayed();
  ASSERT_EQ(Restore(3), WalRestoreResult::kRestored);  // downloaded again
  EXPECT_EQ(testing::ReadFile(destination()), Segment(3));
}

}  // namespace
}  // namespace walnut::wal
