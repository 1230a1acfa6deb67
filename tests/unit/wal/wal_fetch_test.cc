#include "wal/wal_fetch.h"

#include <array>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "io/digest.h"
#include "localfs/local_fs.h"
#include "pipeline/content_checksum.h"
#include "pipeline/crypto/sodium_crypter.h"
#include "pipeline/crypto/sodium_key.h"
#include "localfs/file_metadata.h"
#include "storage/memory/memory_storage.h"
#include "support/log_capture.h"
#include "support/test_util.h"
#include "support/wal_segments.h"

namespace walnut::wal {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kSegmentSize = 1 << 20;  // small segments keep the tests fast
constexpr uint64_t kSystemId = 7000000000000000001;

std::shared_ptr<const Crypter> TestCrypter(unsigned char fill) {
  std::array<unsigned char, 32> bytes{};
  bytes.fill(fill);
  return std::make_shared<SodiumCrypter>(SodiumKey(bytes));
}

std::string Segment(pg::WalSegment segment) {
  return testing::FakeWalSegment(segment, kSystemId, kSegmentSize);
}

std::string NameOf(pg::WalSegment segment) { return pg::WalFileName(segment, kSegmentSize); }

class WalFetchTest : public ::testing::Test {
 protected:
  WalFetchTest() : wal_(memory_, "wal_005") {
    options_.segment_size = kSegmentSize;
    options_.retry.max_attempts = 1;
    pipeline_.compression = CompressionMethod::kLz4;
  }

  // Stores `content` as wal_005/<name>.<ext> through the upload pipeline.
  std::string Store(const std::string& name, const std::string& content,
                    CompressionMethod method = CompressionMethod::kLz4) {
    PipelineOptions options = pipeline_;
    options.compression = method;
    std::string object = WithExtension(name, method);
    auto writer = MakeUploadWriter(wal_, object, options);
    testing::WriteInRandomChunks(*writer, content, 300000);
    return "wal_005/" + object;
  }

  // Records `content`'s SHA-256 as the object's, whatever the object holds.
  void SetSha256(const std::string& key, const std::string& content) {
    auto metadata = memory_.Stat(key)->metadata;
    metadata[kContentSha256Metadata] = Digest::Of(AsBytes(content)).Hex();
    memory_.Commit(key, testing::ReadAll(*memory_.Get(key)), metadata);
  }

  WalFetchResult Fetch(const std::string& name) {
    return FetchWalFile(wal_, pipeline_, name, destination(), options_);
  }

  std::string destination() const { return (dir_.path() / "RECOVERYXLOG").string(); }
  bool DestinationExists() const { return fs::exists(destination()); }
  // Files in the destination's directory: no temporary file may stay behind.
  size_t FilesInDir() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir_.path()), {}));
  }

  MemoryStorage memory_;
  Folder wal_;
  PipelineOptions pipeline_;
  WalFetchOptions options_{.fs = LocalFs::Default()};
  testing::TempDir dir_;
};

TEST_F(WalFetchTest, FetchesASegmentStoredUnderEachCompression) {
  for (CompressionMethod method :
       {CompressionMethod::kLz4, CompressionMethod::kLzma, CompressionMethod::kZstd,
        CompressionMethod::kBrotli, CompressionMethod::kNone}) {
    pg::WalSegment segment{1, 10 + static_cast<uint64_t>(method)};
    std::string content = Segment(segment);
    Store(NameOf(segment), content, method);
    fs::remove(destination());
    ASSERT_EQ(Fetch(NameOf(segment)), WalFetchResult::kFetched) << NameOf(segment);
    EXPECT_EQ(testing::ReadFile(destination()), content);
    EXPECT_EQ(FilesInDir(), 1u);
  }
}

TEST_F(WalFetchTest, ReportsAnAbsentFileAsNotFoundAndWritesNothing) {
  Store(NameOf({1, 3}), Segment({1, 3}));
  EXPECT_EQ(Fetch(NameOf({1, 4})), WalFetchResult::kNotFound);
  EXPECT_EQ(Fetch("00000002.history"), WalFetchResult::kNotFound);
  EXPECT_FALSE(DestinationExists());
  EXPECT_EQ(FilesInDir(), 0u);
}

TEST_F(WalFetchTest, AnObjectOnlyInAnUndecodableCompressionIsAnErrorNotAbsence) {
  memory_.Commit("wal_005/" + NameOf({1, 3}) + ".lzo", "whatever");
  Error e = testing::ExpectError([&] { Fetch(NameOf({1, 3})); });
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_NE(std::string(e.what()).find(".lzo"), std::string::npos) << e.what();
  EXPECT_FALSE(DestinationExists());
}

TEST_F(WalFetchTest, VerifiesTheRecordedChecksum) {
  std::string content = Segment({1, 3});
  std::string key = Store(NameOf({1, 3}), content);
  SetSha256(key, content);
  ASSERT_EQ(Fetch(NameOf({1, 3})), WalFetchResult::kFetched);
  EXPECT_EQ(testing::ReadFile(destination()), content);
}

TEST_F(WalFetchTest, AChecksumMismatchIsCorruptionAndLeavesNoFile) {
  std::string content = Segment({1, 3});
  std::string key = Store(NameOf({1, 3}), content);
  std::string other = content;
  other[5000] ^= 1;
  SetSha256(key, other);
  Error e = testing::ExpectError([&] { Fetch(NameOf({1, 3})); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("SHA-256"), std::string::npos) << e.what();
  EXPECT_FALSE(DestinationExists());
  EXPECT_EQ(FilesInDir(), 0u);
}

TEST_F(WalFetchTest, ATruncatedSegmentIsCorruption) {
  std::string content = Segment({1, 3});
  std::string key = Store(NameOf({1, 3}), content.substr(0, content.size() - 8192));
  Error e = testing::ExpectError([&] { Fetch(NameOf({1, 3})); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  EXPECT_FALSE(DestinationExists());
  EXPECT_EQ(FilesInDir(), 0u);
}

TEST_F(WalFetchTest, AnOversizedSegmentIsCorruption) {
  std::string content = Segment({1, 3});
  Store(NameOf({1, 3}), content + "x");
  Error e = testing::ExpectError([&] { Fetch(NameOf({1, 3})); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_FALSE(DestinationExists());
  EXPECT_EQ(FilesInDir(), 0u);
}

TEST_F(WalFetchTest, AStoredObjectThatDoesNotDecodeIsAnErrorAndLeavesNoFile) {
  std::string key = Store(NameOf({1, 3}), Segment({1, 3}));
  auto reader = memory_.Get(key);
  std::string stored = testing::ReadAll(*reader);
  stored[stored.size() / 2] ^= 0x55;
  stored[stored.size() / 2 + 1] ^= 0x55;
  memory_.Commit(key, stored);
  Error e = testing::ExpectError([&] { Fetch(NameOf({1, 3})); });
  EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
  EXPECT_FALSE(DestinationExists());
  EXPECT_EQ(FilesInDir(), 0u);
}

TEST_F(WalFetchTest, AHeaderForAnotherSegmentIsCorruption) {
  Store(NameOf({1, 4}), Segment({1, 3}));
  Error e = testing::ExpectError([&] { Fetch(NameOf({1, 4})); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find("page header"), std::string::npos) << e.what();
  EXPECT_FALSE(DestinationExists());
}

TEST_F(WalFetchTest, AHeaderOfALaterTimelineIsCorruption) {
  Store(NameOf({1, 3}), Segment({2, 3}));
  Error e = testing::ExpectError([&] { Fetch(NameOf({1, 3})); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_FALSE(DestinationExists());
}

TEST_F(WalFetchTest, TheFirstSegmentOfANewTimelineMayStartWithTheOldTimelinesPages) {
  // PostgreSQL copies the old timeline's part of the switch segment into the new one.
  std::string content = Segment({1, 3});
  Store(NameOf({2, 3}), content);
  ASSERT_EQ(Fetch(NameOf({2, 3})), WalFetchResult::kFetched);
  EXPECT_EQ(testing::ReadFile(destination()), content);
}

TEST_F(WalFetchTest, AGarbageHeaderIsCorruption) {
  std::string content = Segment({1, 3});
  content.replace(0, 4, "junk");
  Store(NameOf({1, 3}), content);
  Error e = testing::ExpectError([&] { Fetch(NameOf({1, 3})); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_FALSE(DestinationExists());
}

TEST_F(WalFetchTest, HistoryFilesHaveNoSizeOrHeaderButTheirChecksumIsChecked) {
  std::string history = "1\t0/3000000\tno recovery target specified\n";
  std::string key = Store("00000002.history", history);
  ASSERT_EQ(Fetch("00000002.history"), WalFetchResult::kFetched);
  EXPECT_EQ(testing::ReadFile(destination()), history);

  fs::remove(destination());
  SetSha256(key, "something else");
  EXPECT_EQ(testing::ExpectError([&] { Fetch("00000002.history"); }).code(),
            ErrorCode::kCorruption);
  EXPECT_FALSE(DestinationExists());
}

TEST_F(WalFetchTest, DecryptsWithTheRightKeyAndFailsClearlyWithAWrongOne) {
  pipeline_.crypter = TestCrypter(7);
  std::string content = Segment({1, 3});
  std::string key = Store(NameOf({1, 3}), content, CompressionMethod::kZstd);
  ASSERT_EQ(Fetch(NameOf({1, 3})), WalFetchResult::kFetched);
  EXPECT_EQ(testing::ReadFile(destination()), content);

  fs::remove(destination());
  pipeline_.crypter = TestCrypter(8);
  Error e = testing::ExpectError([&] { Fetch(NameOf({1, 3})); });
  EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
  EXPECT_FALSE(DestinationExists());
  EXPECT_EQ(FilesInDir(), 0u);
}

TEST_F(WalFetchTest, ReplacesAnExistingDestination) {
  testing::WriteFile(destination(), "old");
  std::string content = Segment({1, 3});
  Store(NameOf({1, 3}), content);
  ASSERT_EQ(Fetch(NameOf({1, 3})), WalFetchResult::kFetched);
  EXPECT_EQ(testing::ReadFile(destination()), content);
}

TEST_F(WalFetchTest, AMissingDestinationDirectoryIsAnErrorNotAbsence) {
  Store(NameOf({1, 3}), Segment({1, 3}));
  Error e = testing::ExpectError([&] {
    FetchWalFile(wal_, pipeline_, NameOf({1, 3}), (dir_.path() / "no/such/file").string(),
                 options_);
  });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_NE(std::string(e.what()).find("no/such"), std::string::npos) << e.what();
}

TEST_F(WalFetchTest, ASegmentWithoutARecordedChecksumIsRestoredWithOneWarning) {
  // As WAL-G archives it: no metadata. PostgreSQL logs restore_command's stderr, so the line
  // reaches its log.
  std::string content = Segment({1, 41});
  std::string key = Store(NameOf({1, 41}), content);
  memory_.Commit(key, testing::ReadAll(*memory_.Get(key)));
  testing::LogCapture log;
  ASSERT_EQ(Fetch(NameOf({1, 41})), WalFetchResult::kFetched);
  EXPECT_EQ(testing::ReadFile(destination()), content);
  EXPECT_EQ(log.str(), "warning: memory://memory/" + key +
                           ": content could not be verified: no SHA-256 was recorded for it "
                           "(written by WAL-G or an older Walnut)\n");
}

TEST_F(WalFetchTest, APrefetchMarksAnUnverifiedSegmentInsteadOfWarning) {
  // The prefetcher's stderr goes nowhere; the mark carries the warning to wal-fetch.
  std::string content = Segment({1, 42});
  std::string key = Store(NameOf({1, 42}), content);
  memory_.Commit(key, testing::ReadAll(*memory_.Get(key)));
  options_.mark_unverified = true;
  testing::LogCapture log;
  ASSERT_EQ(Fetch(NameOf({1, 42})), WalFetchResult::kFetched);
  EXPECT_EQ(log.str(), "");
  auto marks = ReadFileMetadata(destination());
  ASSERT_EQ(marks.count(kUnverifiedMark), 1u);
  EXPECT_NE(marks[kUnverifiedMark].find(key + ": content could not be verified"),
            std::string::npos);

  // A verified segment carries no mark.
  fs::remove(destination());
  Store(NameOf({1, 43}), Segment({1, 43}));
  ASSERT_EQ(Fetch(NameOf({1, 43})), WalFetchResult::kFetched);
  EXPECT_EQ(ReadFileMetadata(destination()).count(kUnverifiedMark), 0u);
}

}  // namespace
}  // namespace walnut::wal
