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
#include "storage/memory/memory_storage.h"
#include "storage/storage_wrapper.h"
#include "support/test_util.h"
#include "support/wal_segments.h"

namespace walnut::wal {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kSegmentSize = 1 << 20;  // small segments keep the tests fast
constexpr uint64_t kSystemId = 7000000000000000001;

// Adds user metadata to what Stat reports, whatever the backend keeps: the tests of checksum
// verification must not depend on MemoryStorage's support for it.
class MetadataStorage : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  std::optional<ObjectInfo> Stat(std::string_view key) override {
    auto info = StorageWrapper::Stat(key);
    if (info) {
      if (auto it = metadata_.find(std::string(key)); it != metadata_.end()) {
        info->metadata = it->second;
      }
    }
    return info;
  }
  void SetSha256(const std::string& key, const std::string& content) {
    metadata_[key][kContentSha256Metadata] = Digest::Of(AsBytes(content)).Hex();
  }

 private:
  std::map<std::string, std::map<std::string, std::string>> metadata_;
};

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
  WalFetchTest() : storage_(memory_), wal_(storage_, "wal_005") {
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
  MetadataStorage storage_;
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
  storage_.SetSha256(key, content);
  ASSERT_EQ(Fetch(NameOf({1, 3})), WalFetchResult::kFetched);
  EXPECT_EQ(testing::ReadFile(destination()), content);
}

TEST_F(WalFetchTest, AChecksumMismatchIsCorruptionAndLeavesNoFile) {
  std::string content = Segment({1, 3});
  std::string key = Store(NameOf({1, 3}), content);
  std::string other = content;
  other[5000] ^= 1;
  storage_.SetSha256(key, other);
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
  storage_.SetSha256(key, "something else");
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

}  // namespace
}  // namespace walnut::wal
