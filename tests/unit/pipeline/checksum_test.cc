// Every object written through the pipeline carries a SHA-256, and every read checks it: a flipped
// byte, a truncation or a missing record each end in one clear outcome, on the in-memory store and
// on a real directory (extended attributes).

#include <array>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/mutex.h"
#include "io/digest.h"
#include "pipeline/content_checksum.h"
#include "pipeline/crypter_registry.h"
#include "pipeline/crypto/encryption_detection.h"
#include "pipeline/crypto/sodium_crypter.h"
#include "pipeline/crypto/sodium_key.h"
#include "pipeline/pipeline.h"
#include "storage/fs/fs_storage.h"
#include "storage/memory/memory_storage.h"
#include "support/test_util.h"

namespace walnut {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kMismatch = "content does not match its recorded SHA-256";

std::shared_ptr<const Crypter> TestCrypter() {
  std::array<unsigned char, 32> bytes{};
  bytes.fill(5);
  return std::make_shared<SodiumCrypter>(SodiumKey(bytes));
}

PipelineOptions Options(CompressionMethod method, bool encrypt) {
  PipelineOptions options;
  options.compression = method;
  if (encrypt) options.crypter = TestCrypter();
  return options;
}

// The two storages that keep metadata locally: in memory and as extended attributes of files.
// Both can damage a stored object behind the pipeline's back, keeping its metadata.
class Store {
 public:
  virtual ~Store() = default;
  virtual Storage& storage() = 0;
  // Replaces the stored bytes of `key`, keeping the object's metadata.
  virtual void Damage(const std::string& key, const std::function<void(std::string&)>& how) = 0;
  // Stores the object again without any metadata (as WAL-G would have written it).
  virtual void DropMetadata(const std::string& key) = 0;
};

class MemoryStore : public Store {
 public:
  Storage& storage() override { return storage_; }
  void Damage(const std::string& key, const std::function<void(std::string&)>& how) override {
    std::string data = testing::ReadAll(*storage_.Get(key));
    auto metadata = storage_.Stat(key)->metadata;
    how(data);
    storage_.Commit(key, std::move(data), std::move(metadata));
  }
  void DropMetadata(const std::string& key) override {
    storage_.Commit(key, testing::ReadAll(*storage_.Get(key)));
  }

 private:
  MemoryStorage storage_{"m"};
};

class FsStore : public Store {
 public:
  FsStore() : storage_(dir_.path()) {}
  Storage& storage() override { return storage_; }
  void Damage(const std::string& key, const std::function<void(std::string&)>& how) override {
    // In place, as bit rot would: the file keeps its extended attributes.
    std::filesystem::path path = dir_.path() / key;
    std::string data = testing::ReadFile(path);
    how(data);
    std::filesystem::resize_file(path, 0);
    std::fstream out(path, std::ios::in | std::ios::out | std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  void DropMetadata(const std::string& key) override {
    std::filesystem::path path = dir_.path() / key;
    std::string data = testing::ReadFile(path);
    std::filesystem::remove(path);
    testing::WriteFile(path, data);
  }

 private:
  testing::TempDir dir_;
  FsStorage storage_;
};

std::unique_ptr<Store> MakeStore(bool fs) {
  if (fs) return std::make_unique<FsStore>();
  return std::make_unique<MemoryStore>();
}

void FlipMiddleByte(std::string& data) { data[data.size() / 2] ^= 0x20; }

std::string Download(const Folder& folder, const std::string& name, const PipelineOptions& options,
                     DownloadOptions download = {}) {
  auto reader = MakeDownloadReader(folder, name, options, download);
  return testing::ReadInRandomChunks(*reader, 50000);
}

// Collects what a download reports as unverified.
struct Unverified {
  Mutex mu;
  std::vector<std::string> lines;  // written under mu; read by the test once the download ended
  UnverifiedObjectHandler Handler() {
    return [this](const std::string& object, const std::string& why) {
      MutexLock lock(mu);
      lines.push_back(object + ": " + why);
    };
  }
};

using Case = std::tuple<CompressionMethod, bool /*encrypt*/, bool /*fs*/, ChecksumOf>;

class ChecksumTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    auto [method, encrypt, fs, checksum] = GetParam();
    store_ = MakeStore(fs);
    options_ = Options(method, encrypt);
    name_ = WithExtension("obj", method);
    data_ = testing::CompressibleBytes(70000, 3) + testing::RandomBytes(30000, 4);
    auto writer = MakeUploadWriter(folder(), name_, options_, {}, checksum);
    testing::WriteInRandomChunks(*writer, data_, 7000);
    sha256_ = writer->sha256();
    EXPECT_TRUE(writer->sha256_kept());
    EXPECT_EQ(writer->sha256_metadata_name(),
              checksum == ChecksumOf::kContent ? kContentSha256Metadata : kStoredSha256Metadata);
  }

  Folder folder() { return Folder(store_->storage(), "dir"); }
  std::string StoredBytes() { return testing::ReadAll(*store_->storage().Get(key())); }
  std::string key() const { return "dir/" + name_; }
  bool uses_sha256_alone() const {
    // Nothing but the SHA-256 can notice a flipped byte: no codec, no AEAD tag. (Brotli has no
    // checksum either, but may still fail to decode a damaged stream before its end.)
    auto [method, encrypt, fs, checksum] = GetParam();
    return !encrypt && method == CompressionMethod::kNone;
  }

  std::unique_ptr<Store> store_;
  PipelineOptions options_;
  std::string name_;
  std::string data_;
  std::string sha256_;
};

TEST_P(ChecksumTest, RecordsTheDigestOfWhatItCovers) {
  auto [method, encrypt, fs, checksum] = GetParam();
  auto info = store_->storage().Stat(key());
  ASSERT_TRUE(info);
  if (checksum == ChecksumOf::kContent) {
    EXPECT_EQ(sha256_, Digest::Of(AsBytes(data_)).Hex());
  } else {
    EXPECT_EQ(sha256_, Digest::Of(AsBytes(testing::ReadAll(*store_->storage().Get(key())))).Hex());
  }
  EXPECT_EQ(info->metadata.at(std::string(
                checksum == ChecksumOf::kContent ? kContentSha256Metadata : kStoredSha256Metadata)),
            sha256_);
  EXPECT_EQ(info->metadata.at(kEncryptionMetadata), encrypt ? "libsodium" : "none");
}

TEST_P(ChecksumTest, AnIntactObjectReadsBackVerified) {
  Unverified unverified;
  EXPECT_EQ(Download(folder(), name_, options_, {.on_unverified = unverified.Handler()}), data_);
  EXPECT_TRUE(unverified.lines.empty());
}

TEST_P(ChecksumTest, AFlippedByteFailsTheReadNamingTheObject) {
  store_->Damage(key(), FlipMiddleByte);
  Error e = testing::ExpectError([&] { Download(folder(), name_, options_); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
  EXPECT_THAT(e.what(), HasSubstr(key())) << e.what();
  if (uses_sha256_alone()) {
    EXPECT_THAT(e.what(), HasSubstr(kMismatch));
  }
}

TEST_P(ChecksumTest, ATruncatedObjectFailsTheRead) {
  store_->Damage(key(), [](std::string& data) { data.resize(data.size() - 1); });
  Error e = testing::ExpectError([&] { Download(folder(), name_, options_); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
  EXPECT_THAT(e.what(), HasSubstr(key()));
}

TEST_P(ChecksumTest, AnObjectWithoutMetadataReadsWithOneUnverifiedLine) {
  store_->DropMetadata(key());
  Unverified unverified;
  EXPECT_EQ(Download(folder(), name_, options_, {.on_unverified = unverified.Handler()}), data_);
  ASSERT_EQ(unverified.lines.size(), 1u);
  EXPECT_THAT(unverified.lines[0], HasSubstr(key()));
  EXPECT_THAT(unverified.lines[0], HasSubstr("content could not be verified"));
}

TEST_P(ChecksumTest, ACatalogueRecordVerifiesAnObjectWithoutMetadata) {
  // What backup-fetch does with the sentinel's WalnutSha256: the record of the stored bytes is
  // checked whatever the object carries.
  auto [method, encrypt, fs, checksum] = GetParam();
  if (checksum == ChecksumOf::kContent) sha256_ = Digest::Of(AsBytes(StoredBytes())).Hex();
  store_->DropMetadata(key());
  EXPECT_EQ(Download(folder(), name_, options_, {.stored_sha256 = sha256_}), data_);
  store_->Damage(key(), FlipMiddleByte);
  Error e = testing::ExpectError(
      [&] { Download(folder(), name_, options_, {.stored_sha256 = sha256_}); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
}

INSTANTIATE_TEST_SUITE_P(
    CodecsEncryptionStorages, ChecksumTest,
    ::testing::Combine(::testing::Values(CompressionMethod::kNone, CompressionMethod::kLz4,
                                         CompressionMethod::kZstd, CompressionMethod::kBrotli,
                                         CompressionMethod::kLzma),
                       ::testing::Bool(), ::testing::Bool(),
                       ::testing::Values(ChecksumOf::kContent, ChecksumOf::kStoredBytes)),
    [](const ::testing::TestParamInfo<Case>& param_info) {
      const Case& c = param_info.param;
      return std::string(CodecFor(std::get<0>(c)).name) +
             (std::get<1>(c) ? "_libsodium" : "_plain") + (std::get<2>(c) ? "_fs" : "_memory") +
             (std::get<3>(c) == ChecksumOf::kContent ? "_content" : "_stored");
    });

// The case: a flipped byte that brotli decodes into other bytes without a word.
TEST(ChecksumBrotliTest, AFlipThatBrotliDecodesSilentlyIsCaughtByTheSha256) {
  for (bool fs : {false, true}) {
    auto store = MakeStore(fs);
    Folder root(store->storage(), "");
    PipelineOptions options = Options(CompressionMethod::kBrotli, false);
    std::string data = testing::CompressibleBytes(200000, 8);
    auto writer = MakeUploadWriter(root, "o.br", options);
    testing::WriteInRandomChunks(*writer, data);
    const std::string stored = testing::ReadAll(*store->storage().Get("o.br"));
    // Find a byte whose flip brotli alone decodes to wrong data.
    std::optional<size_t> silent;
    for (size_t i = stored.size() / 2; i < stored.size() && !silent; ++i) {
      std::string damaged = stored;
      damaged[i] ^= 0x01;
      MemoryStorage raw;
      raw.Commit("o", damaged);
      try {
        auto reader = GetCompressor(CompressionMethod::kBrotli).WrapReader(raw.Get("o"));
        if (testing::ReadAll(*reader) != data) silent = i;
      } catch (const Error&) {
      }
    }
    ASSERT_TRUE(silent) << "no silently decoding flip found";
    store->Damage("o.br", [&](std::string& bytes) { bytes[*silent] ^= 0x01; });
    Error e = testing::ExpectError([&] { Download(root, "o.br", options); });
    EXPECT_EQ(e.code(), ErrorCode::kCorruption);
    EXPECT_THAT(e.what(), HasSubstr(kMismatch)) << e.what();
  }
}

TEST(ChecksumKnownBeforeTest, ACallersDigestTravelsWithTheObjectAndIsChecked) {
  // wal-push hashes the file first; the pipeline must not hash it again.
  MemoryStorage storage;
  Folder root(storage, "");
  std::string data = testing::CompressibleBytes(200000);
  std::string digest = Digest::Of(AsBytes(data)).Hex();
  PutOptions put;
  put.metadata[kContentSha256Metadata] = digest;
  auto writer = MakeUploadWriter(root, "seg.br", Options(CompressionMethod::kBrotli, false), put);
  testing::WriteInRandomChunks(*writer, data);
  EXPECT_EQ(writer->sha256(), digest);
  EXPECT_TRUE(writer->sha256_kept());
  EXPECT_EQ(Download(root, "seg.br", Options(CompressionMethod::kBrotli, false)), data);

  // A digest that does not describe the content is found out on the way back.
  put.metadata[kContentSha256Metadata] = std::string(64, '0');
  writer = MakeUploadWriter(root, "bad.br", Options(CompressionMethod::kBrotli, false), put);
  testing::WriteInRandomChunks(*writer, data);
  Error e = testing::ExpectError(
      [&] { Download(root, "bad.br", Options(CompressionMethod::kBrotli, false)); });
  EXPECT_THAT(e.what(), HasSubstr("memory://memory/bad.br: content does not match its recorded "
                                  "SHA-256 (recorded 0000000000000000..."));
}

TEST(ChecksumRawReadTest, ARawReadOfAContentDigestIsUnverifiedAndSaysWhy) {
  MemoryStorage storage;
  Folder root(storage, "");
  PipelineOptions options = Options(CompressionMethod::kLz4, false);
  auto writer = MakeUploadWriter(root, "x.lz4", options);
  testing::WriteInRandomChunks(*writer, testing::CompressibleBytes(10000));
  Unverified unverified;
  Download(root, "x.lz4", options,
           {.decrypt = false, .decompress = false, .on_unverified = unverified.Handler()});
  ASSERT_EQ(unverified.lines.size(), 1u);
  EXPECT_THAT(unverified.lines[0], HasSubstr("read without decrypting or decompressing"));
}

TEST(ChecksumRawReadTest, ARawReadOfAStoredDigestIsVerified) {
  MemoryStorage storage;
  Folder root(storage, "");
  PipelineOptions options = Options(CompressionMethod::kLz4, true);
  auto writer = MakeUploadWriter(root, "x.lz4", options, {}, ChecksumOf::kStoredBytes);
  testing::WriteInRandomChunks(*writer, testing::CompressibleBytes(10000));
  Unverified unverified;
  DownloadOptions raw{.decrypt = false, .decompress = false};
  raw.on_unverified = unverified.Handler();
  std::string stored = Download(root, "x.lz4", options, raw);
  EXPECT_TRUE(unverified.lines.empty());
  FlipMiddleByte(stored);
  storage.Commit("x.lz4", stored, storage.Stat("x.lz4")->metadata);
  EXPECT_THAT(testing::ExpectError([&] { Download(root, "x.lz4", options, raw); }).what(),
              HasSubstr(kMismatch));
}

TEST(EncryptionDetectionTest, AnObjectRecordedAsEncryptedAsksForTheKey) {
  MemoryStorage storage("m");
  Folder root(storage, "basebackups_005");
  auto writer = MakeUploadWriter(root, "part_001.tar.br", Options(CompressionMethod::kBrotli, true),
                                 {}, ChecksumOf::kStoredBytes);
  testing::WriteInRandomChunks(*writer, testing::CompressibleBytes(100000));
  Error e = testing::ExpectError(
      [&] { Download(root, "part_001.tar.br", Options(CompressionMethod::kBrotli, false)); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_STREQ(
      e.what(),
      "memory://m/basebackups_005/part_001.tar.br: the object is encrypted (libsodium); set "
      "WALG_LIBSODIUM_KEY or WALG_LIBSODIUM_KEY_PATH");
}

TEST(EncryptionDetectionTest, AnUnrecordedObjectThatDoesNotDecodeNamesThePossibility) {
  // As WAL-G writes it: encrypted, no metadata. Its bytes cannot tell; the message says what
  // to try.
  MemoryStorage storage("m");
  Folder root(storage, "");
  auto writer = MakeUploadWriter(root, "o.br", Options(CompressionMethod::kBrotli, true));
  testing::WriteInRandomChunks(*writer, testing::CompressibleBytes(100000));
  storage.Commit("o.br", testing::ReadAll(*storage.Get("o.br")));
  Error e = testing::ExpectError(
      [&] { Download(root, "o.br", Options(CompressionMethod::kBrotli, false)); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_THAT(e.what(), HasSubstr("memory://m/o.br: brotli"));
  EXPECT_THAT(e.what(), HasSubstr("if the archive is encrypted, set WALG_LIBSODIUM_KEY or "
                                  "WALG_LIBSODIUM_KEY_PATH"));
}

TEST(EncryptionDetectionTest, AnUnencryptedWalnutObjectGetsNoEncryptionHint) {
  MemoryStorage storage("m");
  Folder root(storage, "");
  auto writer = MakeUploadWriter(root, "o.br", Options(CompressionMethod::kBrotli, false), {},
                                 ChecksumOf::kStoredBytes);
  testing::WriteInRandomChunks(*writer, testing::CompressibleBytes(100000));
  std::string data = testing::ReadAll(*storage.Get("o.br"));
  data[10] ^= 0x55;
  storage.Commit("o.br", data, storage.Stat("o.br")->metadata);
  Error e = testing::ExpectError(
      [&] { Download(root, "o.br", Options(CompressionMethod::kBrotli, false)); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("WALG_LIBSODIUM_KEY"))) << e.what();
}

TEST(EncryptionDetectionTest, OnlyTheUploadersRecordCounts) {
  std::string crypter;
  EXPECT_EQ(RecordedEncryption({{kEncryptionMetadata, "libsodium"}}, &crypter),
            EncryptionEvidence::kEncrypted);
  EXPECT_EQ(crypter, "libsodium");
  EXPECT_EQ(RecordedEncryption({{kEncryptionMetadata, "none"}}), EncryptionEvidence::kNotEncrypted);
  EXPECT_EQ(RecordedEncryption({}), EncryptionEvidence::kUnknown);
  EXPECT_EQ(RecordedEncryption({{kEncryptionMetadata, "openpgp"}}, &crypter),
            EncryptionEvidence::kEncrypted);
  EXPECT_EQ(crypter, "openpgp");
}

TEST(EncryptionDetectionTest, KeyHintsComeFromTheCrypterTable) {
  EXPECT_EQ(KeySettingsHint("libsodium"), "set WALG_LIBSODIUM_KEY or WALG_LIBSODIUM_KEY_PATH");
  EXPECT_EQ(KeySettingsHint("openpgp"),
            "set WALG_PGP_KEY or WALG_PGP_KEY_PATH to the secret key, with "
            "WALG_PGP_KEY_PASSPHRASE if it has one");
  EXPECT_EQ(AnyKeySettingsHint(),
            "set WALG_LIBSODIUM_KEY or WALG_LIBSODIUM_KEY_PATH (libsodium), or set WALG_PGP_KEY "
            "or WALG_PGP_KEY_PATH to the secret key, with WALG_PGP_KEY_PASSPHRASE if it has one "
            "(openpgp)");
  EXPECT_THAT(KeySettingsHint("rot13"), HasSubstr("cannot decrypt rot13"));
}

}  // namespace
}  // namespace walnut
