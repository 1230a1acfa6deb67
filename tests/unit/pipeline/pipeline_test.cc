#include "pipeline/pipeline.h"

#include <array>
#include <memory>

#include <gtest/gtest.h>

#include "common/error.h"
#include "io/copy.h"
#include "pipeline/crypto/sodium_crypter.h"
#include "pipeline/crypto/sodium_key.h"
#include "storage/memory/memory_storage.h"
#include "support/faulty_storage.h"
#include "support/test_util.h"

namespace walnut {
namespace {

using testing::FaultyStorage;
using testing::StorageOp;

std::shared_ptr<const Crypter> TestCrypter(unsigned char fill = 7) {
  std::array<unsigned char, 32> bytes{};
  bytes.fill(fill);
  return std::make_shared<SodiumCrypter>(SodiumKey(bytes));
}

PipelineOptions Options(CompressionMethod method,
                        std::shared_ptr<const Crypter> crypter = nullptr) {
  PipelineOptions options;
  options.compression = method;
  options.crypter = std::move(crypter);
  return options;
}

void Upload(const Folder& folder, const std::string& name, const std::string& data,
            const PipelineOptions& options) {
  auto writer = MakeUploadWriter(folder, name, options);
  testing::WriteInRandomChunks(*writer, data, 70000);
}

std::string Download(const Folder& folder, const std::string& name,
                     const PipelineOptions& options) {
  auto reader = MakeDownloadReader(folder, name, options);
  return testing::ReadInRandomChunks(*reader, 50000);
}

class PipelineRoundTripTest : public ::testing::TestWithParam<std::tuple<CompressionMethod, bool>> {
};

TEST_P(PipelineRoundTripTest, WhatGoesInComesOut) {
  auto [method, encrypt] = GetParam();
  MemoryStorage storage;
  Folder folder(storage, "wal_005");
  PipelineOptions options = Options(method, encrypt ? TestCrypter() : nullptr);
  std::string data = testing::CompressibleBytes(3 << 20, 1) + testing::RandomBytes(100000, 2);
  std::string name = WithExtension("000000010000000000000001", method);
  Upload(folder, name, data, options);
  EXPECT_TRUE(storage.Stat("wal_005/" + name));
  EXPECT_EQ(Download(folder, name, options), data);
}

INSTANTIATE_TEST_SUITE_P(
    AllMethods, PipelineRoundTripTest,
    ::testing::Combine(::testing::Values(CompressionMethod::kNone, CompressionMethod::kLz4,
                                         CompressionMethod::kZstd, CompressionMethod::kBrotli,
                                         CompressionMethod::kLzma),
                       ::testing::Bool()),
    [](const ::testing::TestParamInfo<std::tuple<CompressionMethod, bool>>& param_info) {
      std::string name(CodecFor(std::get<0>(param_info.param)).name);
      return name + (std::get<1>(param_info.param) ? "_libsodium" : "_plain");
    });

TEST(PipelineTest, CompressesBeforeEncrypting) {
  // Encrypted bytes do not compress; if the order were wrong the object would be as large as
  // the input.
  MemoryStorage storage;
  Folder root(storage, "");
  std::string data(4 << 20, 'a');
  Upload(root, "x.zst", data, Options(CompressionMethod::kZstd, TestCrypter()));
  auto info = storage.Stat("x.zst");
  ASSERT_TRUE(info);
  EXPECT_LT(info->size, 64u * 1024);
}

TEST(PipelineTest, ExtensionsFollowWalG) {
  EXPECT_EQ(WithExtension("a", CompressionMethod::kLz4), "a.lz4");
  EXPECT_EQ(WithExtension("a", CompressionMethod::kZstd), "a.zst");
  EXPECT_EQ(WithExtension("a", CompressionMethod::kBrotli), "a.br");
  EXPECT_EQ(WithExtension("a", CompressionMethod::kLzma), "a.lzma");
  EXPECT_EQ(WithExtension("a", CompressionMethod::kNone), "a");
  EXPECT_EQ(CompressionFromObjectName("wal_005/00000002.history.lz4"), CompressionMethod::kLz4);
  EXPECT_EQ(CompressionFromObjectName("wal_005/00000002.history"), CompressionMethod::kNone);
  EXPECT_EQ(CompressionFromObjectName("basebackups_005/x/part_001.tar.br"),
            CompressionMethod::kBrotli);
  EXPECT_EQ(CompressionFromObjectName("dir.v2/file"), CompressionMethod::kNone);
  EXPECT_EQ(testing::ExpectError([] { CompressionFromObjectName("wal_005/x.gz"); }).code(),
            ErrorCode::kUnsupported);
}

TEST(PipelineTest, FindsAnObjectUnderAnyExtension) {
  MemoryStorage storage;
  Folder wal(storage, "wal_005");
  Upload(wal, "000000010000000000000003.br", "x", Options(CompressionMethod::kBrotli));
  EXPECT_EQ(FindCompressedObject(wal, "000000010000000000000003", CompressionMethod::kLz4),
            "000000010000000000000003.br");
  EXPECT_EQ(FindCompressedObject(wal, "000000010000000000000004", CompressionMethod::kLz4),
            std::nullopt);
}

// A storage that lists by prefix as cheaply as it stats a key, or, with prefix_listing = false,
// one that says it does not (a directory).
class ListingStorage : public FaultyStorage {
 public:
  explicit ListingStorage(bool prefix_listing)
      : FaultyStorage(std::make_unique<MemoryStorage>()), prefix_listing_(prefix_listing) {}
  bool Supports(StorageFeature feature) const override {
    if (feature == StorageFeature::kPrefixListing) return prefix_listing_;
    return FaultyStorage::Supports(feature);
  }

 private:
  bool prefix_listing_;
};

TEST(PipelineTest, FindsByOneListingWhereTheStorageListsByPrefix) {
  for (bool prefix_listing : {true, false}) {
    SCOPED_TRACE(prefix_listing ? "prefix listing" : "stat probes");
    ListingStorage storage(prefix_listing);
    Folder wal(storage, "wal_005");
    // Neighbours that start with the segment's name but are other objects.
    Upload(wal, "000000010000000000000003.00000028.backup.lz4", "b",
           Options(CompressionMethod::kLz4));
    Upload(wal, "000000010000000000000003.partial.lz4", "p", Options(CompressionMethod::kLz4));
    Upload(wal, "0000000100000000000000030.zst", "q", Options(CompressionMethod::kZstd));
    EXPECT_EQ(FindCompressedObject(wal, "000000010000000000000003", CompressionMethod::kLz4),
              std::nullopt);
    Upload(wal, "000000010000000000000003.zst", "z", Options(CompressionMethod::kZstd));
    Upload(wal, "000000010000000000000003.br", "x", Options(CompressionMethod::kBrotli));
    // The configured method first, then WAL-G's order (zstd before brotli).
    EXPECT_EQ(FindCompressedObject(wal, "000000010000000000000003", CompressionMethod::kBrotli),
              "000000010000000000000003.br");
    EXPECT_EQ(FindCompressedObject(wal, "000000010000000000000003", CompressionMethod::kLz4),
              "000000010000000000000003.zst");
    const uint64_t lists = storage.calls(StorageOp::kList);
    const uint64_t stats = storage.calls(StorageOp::kStat);
    EXPECT_EQ(FindCompressedObject(wal, "000000010000000000000004", CompressionMethod::kLz4),
              std::nullopt);
    if (prefix_listing) {
      EXPECT_EQ(storage.calls(StorageOp::kList) - lists, 1u);
      EXPECT_EQ(storage.calls(StorageOp::kStat) - stats, 0u);
    } else {
      EXPECT_EQ(storage.calls(StorageOp::kList) - lists, 0u);
      EXPECT_GE(storage.calls(StorageOp::kStat) - stats, 5u);
    }
  }
}

TEST(PipelineFaultTest, AFailedUploadLeavesNothingVisible) {
  for (StorageOp op : {StorageOp::kWrite, StorageOp::kClose}) {
    FaultyStorage storage(std::make_unique<MemoryStorage>());
    Folder root(storage, "");
    storage.FailCall(op, 1, Error(ErrorCode::kNetwork, "connection reset", true));
    PipelineOptions options = Options(CompressionMethod::kLz4, TestCrypter());
    EXPECT_THROW(Upload(root, "obj.lz4", testing::RandomBytes(9 << 20), options), Error);
    EXPECT_FALSE(storage.Stat("obj.lz4")) << "a failed upload became visible";
  }
}

TEST(PipelineFaultTest, ATruncatedDownloadIsCorruptionNamingTheObject) {
  for (bool encrypt : {false, true}) {
    FaultyStorage storage(std::make_unique<MemoryStorage>("m"));
    Folder root(storage, "base");
    PipelineOptions options = Options(CompressionMethod::kLz4, encrypt ? TestCrypter() : nullptr);
    Upload(root, "part_001.tar.lz4", testing::RandomBytes(2 << 20), options);
    storage.TruncateGet(1, 100000);
    Error e = testing::ExpectError([&] { Download(root, "part_001.tar.lz4", options); });
    EXPECT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
    EXPECT_NE(std::string(e.what()).find("memory://m/base/part_001.tar.lz4"), std::string::npos)
        << e.what();
  }
}

TEST(PipelineFaultTest, AReadErrorKeepsItsCodeAndGainsTheObjectName) {
  FaultyStorage storage(std::make_unique<MemoryStorage>("m"));
  Folder root(storage, "");
  PipelineOptions options = Options(CompressionMethod::kZstd);
  Upload(root, "o.zst", testing::RandomBytes(1 << 20), options);
  storage.TruncateGet(1, 1000, Error(ErrorCode::kNetwork, "connection reset by peer", true));
  Error e = testing::ExpectError([&] { Download(root, "o.zst", options); });
  EXPECT_EQ(e.code(), ErrorCode::kNetwork);
  EXPECT_TRUE(e.retryable());
  EXPECT_NE(std::string(e.what()).find("o.zst: "), std::string::npos) << e.what();
}

TEST(PipelineFaultTest, AWrongKeyIsCorruptionNamingTheObject) {
  MemoryStorage storage("m");
  Folder root(storage, "");
  Upload(root, "o.lz4", "secret data", Options(CompressionMethod::kLz4, TestCrypter(1)));
  Error e = testing::ExpectError(
      [&] { Download(root, "o.lz4", Options(CompressionMethod::kLz4, TestCrypter(2))); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find("o.lz4"), std::string::npos) << e.what();
}

TEST(PipelineFaultTest, AMissingObjectIsNotFound) {
  MemoryStorage storage;
  Folder root(storage, "");
  Error e = testing::ExpectError([&] { MakeDownloadReader(root, "nope.lz4", {}); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace walnut
