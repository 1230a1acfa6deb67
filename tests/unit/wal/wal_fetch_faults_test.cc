// wal-fetch under local file-system faults: each leaves no file at %p (nothing PostgreSQL could
// take for the segment), fails with one line naming the file, and a rerun completes.
#include <cerrno>
#include <filesystem>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "localfs/temporary_name.h"
#include "storage/memory/memory_storage.h"
#include "support/faulty_local_fs.h"
#include "support/test_util.h"
#include "support/wal_segments.h"
#include "wal/wal_fetch.h"

namespace walnut::wal {
namespace {

namespace fs = std::filesystem;
using testing::ExpectError;
using testing::FaultyLocalFs;
using testing::FsOp;

constexpr uint64_t kSegmentSize = 1 << 20;
constexpr pg::WalSegment kSegment{1, 7};

class WalFetchFaultsTest : public ::testing::Test {
 protected:
  WalFetchFaultsTest() : wal_(storage_, "wal_005") {
    options_.segment_size = kSegmentSize;
    options_.retry.max_attempts = 1;
    content_ = testing::FakeWalSegment(kSegment, 7000000000000000003, kSegmentSize);
    auto writer = MakeUploadWriter(wal_, WithExtension(name(), CompressionMethod::kLz4), {});
    testing::WriteInRandomChunks(*writer, content_);
  }

  std::string name() const { return pg::WalFileName(kSegment, kSegmentSize); }
  std::string destination() const { return (dir_.path() / "RECOVERYXLOG").string(); }
  WalFetchResult Fetch() {
    return FetchWalFile(wal_, PipelineOptions{}, name(), destination(), options_);
  }

  // Nothing at %p; any file left is a hidden temporary one.
  void ExpectNothingAtTheDestination() {
    EXPECT_FALSE(fs::exists(destination()));
    for (const auto& entry : fs::directory_iterator(dir_.path())) {
      EXPECT_TRUE(IsTemporaryName(entry.path().filename().string())) << entry.path();
    }
  }

  MemoryStorage storage_;
  Folder wal_;
  testing::TempDir dir_;
  FaultyLocalFs fs_;
  WalFetchOptions options_{.fs = fs_};
  std::string content_;
};

TEST_F(WalFetchFaultsTest, EachFaultLeavesNothingAndFailsWithOneLine) {
  struct Case {
    const char* what;
    std::function<void()> inject;
    const char* message;
  };
  const Case cases[] = {
      {"ENOSPC", [&] { fs_.FailCall(FsOp::kWriteAt, 1, ENOSPC); }, "no space left on device"},
      {"EIO", [&] { fs_.FailCall(FsOp::kWriteAt, 1, EIO); }, "input/output error"},
      {"a short write", [&] { fs_.ShortWrite(1, 4096, ENOSPC); }, "no space left on device"},
      {"a failed fsync", [&] { fs_.FailCall(FsOp::kSync, 1, EIO); }, "cannot sync"},
      {"a failed rename", [&] { fs_.FailCall(FsOp::kRename, 1, EIO); }, "cannot rename"},
      {"a crash before the rename", [&] { fs_.CrashAt(FsOp::kRename, 1); }, "cannot rename"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    fs::remove(destination());
    fs_.Reset();
    c.inject();
    Error e = ExpectError([&] { Fetch(); });
    std::string message = e.what();
    EXPECT_NE(message.find(c.message), std::string::npos) << message;
    EXPECT_NE(message.find(destination()), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_NE(e.code(), ErrorCode::kNotFound);  // never "not archived": recovery would end
    ExpectNothingAtTheDestination();
  }
  fs_.Reset();
  ASSERT_EQ(Fetch(), WalFetchResult::kFetched);  // PostgreSQL's retry completes
  EXPECT_EQ(testing::ReadFile(destination()), content_);
}

TEST_F(WalFetchFaultsTest, AFullDiskIsReportedAsSuch) {
  fs_.LimitSpace(kSegmentSize / 2);
  Error e = ExpectError([&] { Fetch(); });
  EXPECT_EQ(e.code(), ErrorCode::kIo);
  EXPECT_NE(std::string(e.what()).find("the file system is full"), std::string::npos) << e.what();
  ExpectNothingAtTheDestination();
  // The partial temporary file was removed: its space is free again.
  EXPECT_EQ(fs_.free_space(), kSegmentSize / 2);
}

TEST_F(WalFetchFaultsTest, AGuardedDownloadStopsBeforeEatingIntoTheReserve) {
  options_.free_space_reserve = 4 << 20;
  fs_.LimitSpace((4 << 20) + kSegmentSize / 2);
  Error e = ExpectError([&] { Fetch(); });
  EXPECT_NE(std::string(e.what()).find("kept free for wal-fetch"), std::string::npos) << e.what();
  ExpectNothingAtTheDestination();
  EXPECT_GE(fs_.free_space(), uint64_t{4} << 20);
}

}  // namespace
}  // namespace walnut::wal
