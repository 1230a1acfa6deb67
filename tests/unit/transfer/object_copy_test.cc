// CopyStoredObject's three checks, each with an object that passes and one that fails: the stored
// bytes' SHA-256 (from the object's metadata or a catalogue), the content's SHA-256 (decoded back
// from the target), and a byte-for-byte read-back (no usable digest). A failed check leaves no
// object in the target.

#include "transfer/object_copy.h"

#include <array>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "io/digest.h"
#include "pipeline/content_checksum.h"
#include "pipeline/crypto/sodium_crypter.h"
#include "pipeline/crypto/sodium_key.h"
#include "pipeline/pipeline.h"
#include "storage/memory/memory_storage.h"
#include "storage/storage_wrapper.h"
#include "support/object_damage.h"
#include "support/test_util.h"

namespace walnut::transfer {
namespace {

using testing::FlipMiddleBit;
using ::testing::HasSubstr;
using testing::RewriteObject;

constexpr std::string_view kWal = "wal_005/000000010000000000000001.lz4";
constexpr std::string_view kPart = "basebackups_005/base_1/tar_partitions/part_1.tar.lz4";

PipelineOptions Encrypted() {
  std::array<unsigned char, 32> key{};
  key.fill(7);
  PipelineOptions options;
  options.crypter = std::make_shared<SodiumCrypter>(SodiumKey(key));
  return options;
}

// Flips the first byte the target is given: a copy that arrives different from what was sent.
class DamagingStorage : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  std::unique_ptr<Writer> Put(std::string_view key, const PutOptions& options) override {
    class FlippingWriter : public Writer {
     public:
      explicit FlippingWriter(std::unique_ptr<Writer> next) : next_(std::move(next)) {}
      void Write(ConstByteSpan src) override {
        if (!flipped_ && !src.empty()) {
          std::string copy(reinterpret_cast<const char*>(src.data()), src.size());
          copy[0] = static_cast<char>(copy[0] ^ 0x01);
          flipped_ = true;
          next_->Write(AsBytes(copy));
          return;
        }
        next_->Write(src);
      }
      void Close() override { next_->Close(); }
      void Abort() noexcept override { next_->Abort(); }

     private:
      std::unique_ptr<Writer> next_;
      bool flipped_ = false;
    };
    return std::make_unique<FlippingWriter>(StorageWrapper::Put(key, options));
  }
};

class ObjectCopyTest : public ::testing::Test {
 protected:
  // Stores `content` in the source through the pipeline, as Walnut writes it.
  void Store(std::string_view key, const std::string& content, ChecksumOf checksum) {
    std::unique_ptr<UploadWriter> w = MakeUploadWriter(from_, key, pipeline_, {}, checksum);
    w->Write(AsBytes(content));
    w->Close();
  }
  std::string Stored(Storage& storage, std::string_view key) {
    return testing::ReadAll(*storage.Get(key));
  }
  bool InTarget(std::string_view key) { return target_.Stat(key).has_value(); }
  // Stores `key` again without metadata: as WAL-G writes it, or an S3 multipart upload keeps it.
  void DropMetadata(const std::string& key) {
    RewriteObject(
        source_, key, [](std::string&) {}, /*keep_metadata=*/false);
  }
  // The copy fails as damaged, naming the object, and leaves nothing in the target.
  void ExpectRefused(const Folder& to, const std::string& key, const CopyObjectOptions& options,
                     std::string_view says = "") {
    Error e = testing::ExpectError([&] { CopyStoredObject(from_, to, key, options); });
    EXPECT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
    EXPECT_THAT(e.what(), HasSubstr(key));
    EXPECT_THAT(e.what(), HasSubstr(std::string(says)));
    EXPECT_FALSE(InTarget(key));
  }

  PipelineOptions pipeline_ = Encrypted();
  MemoryStorage source_{"source"};
  MemoryStorage target_{"target"};
  Folder from_{source_, ""};
  Folder to_{target_, ""};
  const std::string content_ = testing::CompressibleBytes(300 << 10, 3);
};

TEST_F(ObjectCopyTest, AStoredDigestIsCheckedOnTheWay) {
  const std::string key(kPart);
  Store(key, content_, ChecksumOf::kStoredBytes);
  ASSERT_TRUE(source_.Stat(key)->metadata.count(kStoredSha256Metadata));
  EXPECT_EQ(CopyStoredObject(from_, to_, key), CopyCheck::kStoredSha256);
  EXPECT_EQ(Stored(target_, key), Stored(source_, key));
  EXPECT_EQ(target_.Stat(key)->metadata, source_.Stat(key)->metadata);
}

TEST_F(ObjectCopyTest, ASourceThatDoesNotMatchItsStoredDigestIsNeverCommitted) {
  const std::string key(kPart);
  Store(key, content_, ChecksumOf::kStoredBytes);
  RewriteObject(source_, key, FlipMiddleBit);
  ExpectRefused(to_, key, {});
}

TEST_F(ObjectCopyTest, AStoredDigestFromTheCatalogueStandsInForTheMetadata) {
  // As an S3 multipart upload: the digest is only in the backup's sentinel.
  const std::string key(kPart);
  Store(key, content_, ChecksumOf::kStoredBytes);
  DropMetadata(key);
  const std::string digest = Digest::Of(AsBytes(Stored(source_, key))).Hex();

  CopyObjectOptions wrong;
  wrong.stored_sha256 = std::string(64, '0');
  ExpectRefused(to_, key, wrong);

  CopyObjectOptions right;
  right.stored_sha256 = digest;
  EXPECT_EQ(CopyStoredObject(from_, to_, key, right), CopyCheck::kStoredSha256);
  EXPECT_EQ(Stored(target_, key), Stored(source_, key));
}

TEST_F(ObjectCopyTest, AContentDigestIsCheckedByDecodingTheTarget) {
  const std::string key(kWal);
  Store(key, content_, ChecksumOf::kContent);
  ASSERT_FALSE(source_.Stat(key)->metadata.count(kStoredSha256Metadata));
  CopyObjectOptions options;
  options.pipeline = &pipeline_;
  EXPECT_EQ(CopyStoredObject(from_, to_, key, options), CopyCheck::kContentSha256);
  EXPECT_EQ(Stored(target_, key), Stored(source_, key));
  EXPECT_EQ(testing::ReadAll(*MakeDownloadReader(to_, key, pipeline_)), content_);
}

TEST_F(ObjectCopyTest, ACopyThatDoesNotDecodeToItsContentDigestIsDeleted) {
  const std::string key(kWal);
  Store(key, content_, ChecksumOf::kContent);
  RewriteObject(source_, key, FlipMiddleBit);
  CopyObjectOptions options;
  options.pipeline = &pipeline_;
  ExpectRefused(to_, key, options);
}

TEST_F(ObjectCopyTest, WithoutTheKeyAnObjectWithAContentDigestIsReadBack) {
  const std::string key(kWal);
  Store(key, content_, ChecksumOf::kContent);
  PipelineOptions no_key;  // lz4, no crypter: the object is recorded as encrypted
  CopyObjectOptions options;
  options.pipeline = &no_key;
  EXPECT_EQ(CopyStoredObject(from_, to_, key, options), CopyCheck::kReadBack);
  EXPECT_EQ(Stored(target_, key), Stored(source_, key));
  // No pipeline at all: the same.
  target_.Delete(std::span<const std::string>(&key, 1));
  EXPECT_EQ(CopyStoredObject(from_, to_, key), CopyCheck::kReadBack);
  EXPECT_EQ(Stored(target_, key), Stored(source_, key));
}

TEST_F(ObjectCopyTest, AnObjectWithoutADigestIsReadBack) {
  // As WAL-G writes it: no metadata at all.
  const std::string key(kWal);
  Store(key, content_, ChecksumOf::kContent);
  DropMetadata(key);
  CopyObjectOptions options;
  options.pipeline = &pipeline_;
  EXPECT_EQ(CopyStoredObject(from_, to_, key, options), CopyCheck::kReadBack);
  EXPECT_EQ(Stored(target_, key), Stored(source_, key));
}

TEST_F(ObjectCopyTest, ACopyThatReadsBackDifferentlyIsDeleted) {
  const std::string key(kWal);
  Store(key, content_, ChecksumOf::kContent);
  DropMetadata(key);
  DamagingStorage damaging(target_);
  Folder to(damaging, "");
  ExpectRefused(to, key, {}, "does not match the source");
}

}  // namespace
}  // namespace walnut::transfer
