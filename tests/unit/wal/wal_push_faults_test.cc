// wal-push's status files under local file-system faults. The invariant PostgreSQL relies on:
// never a .done (nor an upload-ahead marker, which makes the next call skip the file) for a WAL
// file that is not durably archived. A fault fails with one line; PostgreSQL's retry completes.
#include <cerrno>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "storage/memory/memory_storage.h"
#include "support/faulty_local_fs.h"
#include "support/test_util.h"
#include "support/wal_segments.h"
#include "wal/wal_push.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using testing::ExpectError;
using testing::FaultyLocalFs;
using testing::FsOp;

constexpr uint64_t kSegmentSize = 1 << 20;
constexpr uint64_t kSystemId = 7'300'000'000'000'000'005ull;

std::string SegmentName(uint64_t segno) { return pg::WalFileName({1, segno}, kSegmentSize); }

class WalPushFaultsTest : public ::testing::Test {
 protected:
  WalPushFaultsTest() : root_(memory_, "") {
    options_.file.pipeline.compression = CompressionMethod::kLz4;
    options_.file.segment_size = kSegmentSize;
    options_.parallel_uploads = 4;
  }

  fs::path pg_wal() const { return dir_.path() / "pg_wal"; }
  fs::path Segment(uint64_t segno, bool ready = true) {
    return testing::WriteFakeWalSegment(pg_wal(), {1, segno}, kSystemId, ready, kSegmentSize);
  }
  void Push(uint64_t segno) { WalPush(root_, pg_wal() / SegmentName(segno), options_); }

  bool Archived(uint64_t segno) {
    return memory_.Stat("wal_005/" + SegmentName(segno) + ".lz4").has_value();
  }
  bool Done(uint64_t segno) {
    return fs::exists(pg_wal() / "archive_status" / (SegmentName(segno) + ".done"));
  }
  bool Ready(uint64_t segno) {
    return fs::exists(pg_wal() / "archive_status" / (SegmentName(segno) + ".ready"));
  }
  bool Marker(uint64_t segno) {
    return fs::exists(pg_wal() / "walg_data" / "walg_archive_status" / SegmentName(segno));
  }
  // What PostgreSQL (or the next wal-push) may conclude from the files must be true.
  void ExpectNoFalseClaims(uint64_t last) {
    for (uint64_t segno = 1; segno <= last; ++segno) {
      if (Done(segno) || Marker(segno)) {
        EXPECT_TRUE(Archived(segno)) << segno;
      }
    }
  }

  testing::TempDir dir_;
  MemoryStorage memory_;
  Folder root_;
  FaultyLocalFs fs_;
  WalPushOptions options_{.fs = fs_};
};

TEST_F(WalPushFaultsTest, AnUnreadableWalFileIsNotArchivedAndTheRetryIs) {
  Segment(1);
  Push(1);  // records the archive identity
  fs::path path = Segment(3, /*ready=*/false);
  fs_.FailCall(FsOp::kRead, 1, EIO, 1, SegmentName(3));
  Error e = ExpectError([&] { Push(3); });
  EXPECT_EQ(std::string(e.what()), "cannot read " + path.string() + ": input/output error");
  EXPECT_FALSE(Archived(3));
  fs_.Reset();
  Push(3);
  EXPECT_TRUE(Archived(3));
}

TEST_F(WalPushFaultsTest, AFailedReadyRenameLeavesTheReadyFile) {
  for (uint64_t segno = 1; segno <= 3; ++segno) Segment(segno);
  options_.ready_rename = true;
  fs_.FailCall(FsOp::kRename, 1, EIO, /*times=*/100, ".ready");
  Push(1);  // the uploads ahead succeed; only marking them done fails (a warning)
  for (uint64_t segno = 2; segno <= 3; ++segno) {
    EXPECT_TRUE(Archived(segno)) << segno;
    EXPECT_TRUE(Ready(segno)) << segno;
    EXPECT_FALSE(Done(segno)) << segno;
  }
  fs_.Reset();
  Push(2);  // PostgreSQL asks again: found archived with equal content
  EXPECT_TRUE(Archived(2));
}

TEST_F(WalPushFaultsTest, NoDoneForAFileWhoseUploadAheadFailed) {
  for (uint64_t segno = 1; segno <= 3; ++segno) Segment(segno);
  options_.ready_rename = true;
  fs_.FailCall(FsOp::kRead, 1, ENOSPC, /*times=*/100, SegmentName(3));
  Push(1);
  EXPECT_TRUE(Done(2));
  EXPECT_FALSE(Archived(3));
  EXPECT_FALSE(Done(3));
  EXPECT_TRUE(Ready(3));
  ExpectNoFalseClaims(3);
}

TEST_F(WalPushFaultsTest, NoMarkerForAFileWhoseUploadAheadFailed) {
  for (uint64_t segno = 1; segno <= 3; ++segno) Segment(segno);
  fs_.FailCall(FsOp::kRead, 1, EIO, /*times=*/100, SegmentName(2));
  Push(1);
  EXPECT_FALSE(Marker(2));
  EXPECT_TRUE(Marker(3));
  ExpectNoFalseClaims(3);
  fs_.Reset();
  Push(2);  // uploads it now
  EXPECT_TRUE(Archived(2));
}

TEST_F(WalPushFaultsTest, AMarkerThatCannotBeWrittenOnlyCostsARecheck) {
  for (uint64_t segno = 1; segno <= 2; ++segno) Segment(segno);
  fs_.FailCall(FsOp::kOpen, 1, ENOSPC, /*times=*/100, "walg_archive_status");
  Push(1);
  EXPECT_TRUE(Archived(2));
  EXPECT_FALSE(Marker(2));
  fs_.Reset();
  Push(2);  // no marker: checks the archive, finds equal content
  EXPECT_TRUE(Archived(2));
}

TEST_F(WalPushFaultsTest, ACrashAtAnyStatusFileLeavesNoFalseClaim) {
  for (FsOp op : {FsOp::kRename, FsOp::kOpen, FsOp::kSyncDirectory, FsOp::kRead}) {
    for (uint64_t nth = 1; nth <= 3; ++nth) {
      SCOPED_TRACE(static_cast<int>(op) * 100 + static_cast<int>(nth));
      fs::remove_all(pg_wal());
      memory_.Delete(std::vector<std::string>{
          "wal_005/" + SegmentName(1) + ".lz4", "wal_005/" + SegmentName(2) + ".lz4",
          "wal_005/" + SegmentName(3) + ".lz4", "wal_005/" + SegmentName(4) + ".lz4"});
      for (uint64_t segno = 1; segno <= 4; ++segno) Segment(segno);
      options_.ready_rename = nth != 2;
      fs_.Reset();
      fs_.CrashAt(op, nth);
      try {
        Push(1);
      } catch (const Error&) {
        // The crash may hit the requested file itself.
      }
      fs_.Reset();
      ExpectNoFalseClaims(4);
      // The next process (PostgreSQL's retry) completes.
      Push(1);
      EXPECT_TRUE(Archived(1));
    }
  }
}

}  // namespace
}  // namespace walnut
