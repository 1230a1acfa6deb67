#include "wal/prefetch.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "localfs/file_metadata.h"
#include "storage/memory/memory_storage.h"
#include "support/log_capture.h"
#include "support/faulty_local_fs.h"
#include "support/test_util.h"
#include "support/wal_segments.h"
#include "wal/prefetch_dir.h"

namespace walnut::wal {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr uint64_t kSegmentSize = 1 << 20;
constexpr uint64_t kSystemId = 7000000000000000002;

std::string Segment(pg::WalSegment segment) {
  return testing::FakeWalSegment(segment, kSystemId, kSegmentSize);
}
std::string NameOf(pg::WalSegment segment) { return pg::WalFileName(segment, kSegmentSize); }

// A short wait, so that a stalled download is given up quickly.
constexpr PrefetchWait kQuickWait{milliseconds(1), 30};

class PrefetchTest : public ::testing::Test {
 protected:
  PrefetchTest() : prefetch_(PrefetchDir::For(fs_, "", destination())), wal_(storage_, "wal_005") {
    fs::create_directories(prefetch_.running());
    options_.segment_size = kSegmentSize;
    options_.retry.max_attempts = 1;
  }

  std::string destination() const { return (pg_wal_.path() / "RECOVERYXLOG").string(); }
  bool Take(pg::WalSegment segment, PrefetchWait wait = kQuickWait) {
    return TakePrefetched(prefetch_, NameOf(segment), segment, kSegmentSize, destination(), wait);
  }
  fs::path RunningFile(pg::WalSegment segment, const std::string& suffix = "1234") const {
    return prefetch_.running() / ("." + NameOf(segment) + ".walnut-tmp-" + suffix);
  }
  void Archive(pg::WalSegment segment, const std::string& content) {
    auto writer = MakeUploadWriter(wal_, WithExtension(NameOf(segment), CompressionMethod::kLz4),
                                   PipelineOptions{});
    writer->Write(AsBytes(content));
    writer->Close();
  }

  testing::TempDir pg_wal_;
  testing::FaultyLocalFs fs_;
  PrefetchDir prefetch_;
  MemoryStorage storage_;
  Folder wal_;
  WalFetchOptions options_{.fs = fs_};
};

TEST_F(PrefetchTest, TheDefaultFolderIsInsideTheDestinationsDirectoryAsInWalG) {
  EXPECT_EQ(PrefetchDir::For(fs_, "", "pg_wal/RECOVERYXLOG").root(),
            fs::path("pg_wal/.wal-g/prefetch"));
  EXPECT_EQ(PrefetchDir::For(fs_, "", "RECOVERYXLOG").root(), fs::path("./.wal-g/prefetch"));
  EXPECT_EQ(PrefetchDir::For(fs_, "/var/prefetch", "pg_wal/RECOVERYXLOG").root(),
            fs::path("/var/prefetch/.wal-g/prefetch"));
  EXPECT_EQ(PrefetchDir::For(fs_, "/x", "y").running(), fs::path("/x/.wal-g/prefetch/running"));
}

TEST_F(PrefetchTest, AHitMovesThePrefetchedSegmentToTheDestination) {
  std::string content = Segment({1, 5});
  testing::WriteFile(prefetch_.ReadyPath(NameOf({1, 5})), content);
  ASSERT_TRUE(Take({1, 5}));
  EXPECT_EQ(testing::ReadFile(destination()), content);
  EXPECT_FALSE(fs::exists(prefetch_.ReadyPath(NameOf({1, 5}))));
}

TEST_F(PrefetchTest, AMissIsQuickAndTouchesNothing) {
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(Take({1, 5}, PrefetchWait{}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(50));
  EXPECT_FALSE(fs::exists(destination()));
}

TEST_F(PrefetchTest, AFileOfTheWrongSizeIsDiscarded) {
  std::string content = Segment({1, 5});
  testing::WriteFile(prefetch_.ReadyPath(NameOf({1, 5})), content.substr(0, 4096));
  EXPECT_FALSE(Take({1, 5}));
  EXPECT_FALSE(fs::exists(destination()));
  EXPECT_FALSE(fs::exists(prefetch_.ReadyPath(NameOf({1, 5}))));
}

TEST_F(PrefetchTest, AFileWithAnotherSegmentsHeaderIsDiscarded) {
  testing::WriteFile(prefetch_.ReadyPath(NameOf({1, 5})), Segment({1, 6}));
  EXPECT_FALSE(Take({1, 5}));
  EXPECT_FALSE(fs::exists(destination()));
  EXPECT_FALSE(fs::exists(prefetch_.ReadyPath(NameOf({1, 5}))));
}

TEST_F(PrefetchTest, AFileWithAGarbageHeaderIsDiscarded) {
  testing::WriteFile(prefetch_.ReadyPath(NameOf({1, 5})), std::string(kSegmentSize, '\0'));
  EXPECT_FALSE(Take({1, 5}));
  EXPECT_FALSE(fs::exists(destination()));
  EXPECT_FALSE(fs::exists(prefetch_.ReadyPath(NameOf({1, 5}))));
}

TEST_F(PrefetchTest, WaitsForAGrowingDownloadAndTakesItWhenDone) {
  std::string content = Segment({1, 5});
  fs::path running = RunningFile({1, 5});
  testing::WriteFile(running, content.substr(0, 1000));
  std::thread prefetcher([&] {
    std::ofstream out(running, std::ios::binary | std::ios::app);
    for (size_t offset = 1000; offset < content.size(); offset += 100000) {
      std::this_thread::sleep_for(milliseconds(5));
      out.write(content.data() + offset,
                static_cast<std::streamsize>(std::min<size_t>(100000, content.size() - offset)));
      out.flush();
    }
    out.close();
    fs::rename(running, prefetch_.ReadyPath(NameOf({1, 5})));
  });
  bool taken = Take({1, 5}, PrefetchWait{milliseconds(2), 100});
  prefetcher.join();
  ASSERT_TRUE(taken);
  EXPECT_EQ(testing::ReadFile(destination()), content);
}

TEST_F(PrefetchTest, GivesUpOnAStalledDownloadAndRemovesIt) {
  fs::path running = RunningFile({1, 5});
  testing::WriteFile(running, "partial");
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(Take({1, 5}, PrefetchWait{milliseconds(2), 20}));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(40));
  EXPECT_FALSE(fs::exists(running));
  EXPECT_FALSE(fs::exists(destination()));
}

TEST_F(PrefetchTest, CleanRemovesEarlierSegmentsAndAbandonedDownloadsOnly) {
  testing::WriteFile(prefetch_.ReadyPath(NameOf({1, 3})), "old");
  testing::WriteFile(prefetch_.ReadyPath(NameOf({1, 6})), "next");
  testing::WriteFile(prefetch_.root() / "notes.txt", "not ours");
  testing::WriteFile(RunningFile({1, 4}), "old");
  testing::WriteFile(RunningFile({1, 7}), "fresh");
  testing::WriteFile(RunningFile({1, 8}), "abandoned");
  fs::last_write_time(RunningFile({1, 8}),
                      fs::file_time_type::clock::now() - std::chrono::minutes(5));
  prefetch_.Clean(NameOf({1, 5}), std::chrono::seconds(60));
  EXPECT_FALSE(fs::exists(prefetch_.ReadyPath(NameOf({1, 3}))));
  EXPECT_TRUE(fs::exists(prefetch_.ReadyPath(NameOf({1, 6}))));
  EXPECT_TRUE(fs::exists(prefetch_.root() / "notes.txt"));
  EXPECT_FALSE(fs::exists(RunningFile({1, 4})));
  EXPECT_TRUE(fs::exists(RunningFile({1, 7})));
  EXPECT_FALSE(fs::exists(RunningFile({1, 8})));
}

TEST_F(PrefetchTest, SegmentsToPrefetchFollowTheTimelineAndSkipWhatIsThereOrUnderWay) {
  pg::WalSegment last_of_log{1, (uint64_t{1} << 32) / kSegmentSize - 2};  // ...00000FFE
  testing::WriteFile(prefetch_.ReadyPath(NameOf({1, last_of_log.segno + 1})), "ready");
  testing::WriteFile(RunningFile({1, last_of_log.segno + 2}), "under way");
  testing::WriteFile(RunningFile({1, last_of_log.segno + 3}), "abandoned");
  fs::last_write_time(RunningFile({1, last_of_log.segno + 3}),
                      fs::file_time_type::clock::now() - std::chrono::minutes(5));
  std::vector<std::string> names =
      SegmentsToPrefetch(prefetch_, NameOf(last_of_log), 4, kSegmentSize);
  EXPECT_EQ(names, (std::vector<std::string>{NameOf({1, last_of_log.segno + 3}),
                                             NameOf({1, last_of_log.segno + 4})}));
  EXPECT_EQ(names.back(), "000000010000000100000002");  // past ...0000000000000FFF
}

TEST_F(PrefetchTest, PrefetchesVerifiedSegmentsAndSkipsAbsentAndDamagedOnes) {
  Archive({1, 6}, Segment({1, 6}));
  Archive({1, 7}, Segment({1, 7}));
  Archive({1, 8}, Segment({1, 3}));  // a wrong header: must not be prefetched
  std::vector<std::string> names = {NameOf({1, 6}), NameOf({1, 7}), NameOf({1, 8}), NameOf({1, 9})};
  EXPECT_EQ(PrefetchWalFiles(wal_, PipelineOptions{}, prefetch_, names, options_), 2u);
  EXPECT_EQ(testing::ReadFile(prefetch_.ReadyPath(NameOf({1, 6}))), Segment({1, 6}));
  EXPECT_EQ(testing::ReadFile(prefetch_.ReadyPath(NameOf({1, 7}))), Segment({1, 7}));
  EXPECT_FALSE(fs::exists(prefetch_.ReadyPath(NameOf({1, 8}))));
  EXPECT_FALSE(fs::exists(prefetch_.ReadyPath(NameOf({1, 9}))));
  EXPECT_TRUE(fs::is_empty(prefetch_.running()));

  ASSERT_TRUE(Take({1, 6}));
  EXPECT_EQ(testing::ReadFile(destination()), Segment({1, 6}));
}

TEST_F(PrefetchTest, AnUnverifiedPrefetchIsReportedByTheWalFetchThatTakesIt) {
  // Archived by WAL-G: no recorded SHA-256. The prefetcher's stderr goes nowhere, so the
  // warning waits on the file for wal-fetch.
  Archive({1, 6}, Segment({1, 6}));
  const std::string key = "wal_005/" + WithExtension(NameOf({1, 6}), CompressionMethod::kLz4);
  storage_.Commit(key, testing::ReadAll(*storage_.Get(key)));
  {
    testing::LogCapture quiet;
    ASSERT_EQ(PrefetchWalFiles(wal_, PipelineOptions{}, prefetch_, {NameOf({1, 6})}, options_), 1u);
    EXPECT_EQ(quiet.str(), "");
  }
  testing::LogCapture log;
  ASSERT_TRUE(Take({1, 6}));
  EXPECT_EQ(log.str(), "warning: memory://memory/" + key +
                           ": content could not be verified: no SHA-256 was recorded for it "
                           "(written by WAL-G or an older Walnut)\n");
  EXPECT_EQ(testing::ReadFile(destination()), Segment({1, 6}));
  EXPECT_TRUE(ReadFileMetadata(destination()).empty()) << "the mark must not reach pg_wal";
}

TEST_F(PrefetchTest, TwoPrefetchersOfTheSameSegmentsDoNotCorruptEachOther) {
  std::vector<std::string> names;
  for (uint64_t segno = 6; segno < 12; ++segno) {
    Archive({1, segno}, Segment({1, segno}));
    names.push_back(NameOf({1, segno}));
  }
  std::thread other([&] { PrefetchWalFiles(wal_, PipelineOptions{}, prefetch_, names, options_); });
  PrefetchWalFiles(wal_, PipelineOptions{}, prefetch_, names, options_);
  other.join();
  for (uint64_t segno = 6; segno < 12; ++segno) {
    EXPECT_EQ(testing::ReadFile(prefetch_.ReadyPath(NameOf({1, segno}))), Segment({1, segno}));
  }
  EXPECT_TRUE(fs::is_empty(prefetch_.running()));
}

// A prefetcher that fails or dies mid-download never leaves a file wal-fetch would take.
TEST_F(PrefetchTest, AFailedOrCrashedPrefetchLeavesNothingToTake) {
  Archive({1, 6}, Segment({1, 6}));
  std::vector<std::string> names = {NameOf({1, 6})};
  fs_.FailCall(testing::FsOp::kWriteAt, 1, EIO);
  EXPECT_EQ(PrefetchWalFiles(wal_, PipelineOptions{}, prefetch_, names, options_), 0u);
  EXPECT_FALSE(fs::exists(prefetch_.ReadyPath(NameOf({1, 6}))));
  EXPECT_TRUE(fs::is_empty(prefetch_.running()));

  fs_.Reset();
  fs_.CrashAt(testing::FsOp::kRename, 1);
  EXPECT_EQ(PrefetchWalFiles(wal_, PipelineOptions{}, prefetch_, names, options_), 0u);
  fs_.Reset();  // the next process
  EXPECT_FALSE(fs::exists(prefetch_.ReadyPath(NameOf({1, 6}))));
  EXPECT_FALSE(fs::is_empty(prefetch_.running()));  // the dead prefetcher's complete download
  // wal-fetch does not take it: it waits only while a download grows, then removes the stalled
  // file and downloads the segment itself.
  EXPECT_FALSE(Take({1, 6}));
  EXPECT_FALSE(fs::exists(destination()));
  EXPECT_TRUE(fs::is_empty(prefetch_.running()));
}

TEST_F(PrefetchTest, StartsOnlyWhatFitsBesideTheReserve) {
  std::vector<std::string> names;
  for (uint64_t segno = 6; segno < 12; ++segno) {
    Archive({1, segno}, Segment({1, segno}));
    names.push_back(NameOf({1, segno}));
  }
  options_.free_space_reserve = 8 << 20;
  fs_.LimitSpace((8 << 20) + kSegmentSize * 3 + kSegmentSize / 2);
  EXPECT_EQ(PrefetchWalFiles(wal_, PipelineOptions{}, prefetch_, names, options_), 3u);
  EXPECT_GE(fs_.free_space(), uint64_t{8} << 20);
  fs_.LimitSpace((8 << 20) - 1);
  EXPECT_EQ(PrefetchWalFiles(wal_, PipelineOptions{}, prefetch_, {NameOf({1, 9})}, options_), 0u);
  EXPECT_FALSE(fs::exists(prefetch_.ReadyPath(NameOf({1, 9}))));
}

}  // namespace
}  // namespace walnut::wal
