#include "pipeline/crypto/sodium_crypter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "crypto_test_util.h"
#include "io/hashing_reader.h"
#include "io/hashing_writer.h"

namespace walnut {
namespace {

using ::testing::HasSubstr;
using namespace walnut::testing;
using namespace walnut::sodium_format;

constexpr char kAuthFailed[] = "libsodium: decryption failed: wrong key or corrupted data";

class SodiumCrypterTest : public ::testing::Test {
 protected:
  SodiumCrypter crypter_{HexKey(kTestKeyHex)};
};

// Runs fn, which must throw walnut::Error with `code`; returns the message.
template <typename Fn>
std::string ExpectError(ErrorCode code, Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no walnut::Error thrown";
  return "";
}

std::string ExpectCorruption(const Crypter& crypter, const std::string& cipher) {
  return ExpectError(ErrorCode::kCorruption, [&] { Decrypt(crypter, cipher); });
}

TEST_F(SodiumCrypterTest, NameIsLibsodium) { EXPECT_EQ(crypter_.Name(), "libsodium"); }

TEST_F(SodiumCrypterTest, RoundTripsBoundarySizes) {
  for (size_t size : {0, 1, 17, 8191, 8192, 8193, 16383, 16384, 16385, 100000}) {
    SCOPED_TRACE(size);
    std::string plain = RandomBytes(size, size + 1);
    std::string cipher = Encrypt(crypter_, plain);
    EXPECT_EQ(cipher.size(), CipherSize(size));
    EXPECT_EQ(Decrypt(crypter_, cipher), plain);
  }
}

TEST_F(SodiumCrypterTest, RoundTripsRandomWriteAndReadSizes) {
  std::string plain = CompressibleBytes(3 * 1024 * 1024 + 123, 5);
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    size_t max_chunk = seed % 2 == 0 ? 100 : 70000;
    std::string cipher = Encrypt(crypter_, plain, max_chunk, seed);
    EXPECT_EQ(cipher.size(), CipherSize(plain.size()));
    EXPECT_EQ(Decrypt(crypter_, cipher, max_chunk * 2 + 1, seed), plain);
  }
}

TEST_F(SodiumCrypterTest, DecryptsFromAnUpstreamThatReturnsSmallPieces) {
  std::string plain = RandomBytes(50000, 3);
  std::string cipher = Encrypt(crypter_, plain);
  for (size_t piece : {1, 7, 8209, 10000}) {
    auto reader = crypter_.WrapDecrypt(std::make_unique<TrickleReader>(cipher, piece));
    EXPECT_EQ(ReadInRandomChunks(*reader, 20000, piece), plain) << piece;
  }
}

TEST_F(SodiumCrypterTest, RoundTrips64MiBThroughHashingObservers) {
  std::string plain = RandomBytes(64_MiB, 11);
  auto plain_digest = std::make_shared<DigestResult>();
  auto stored_digest = std::make_shared<DigestResult>();
  auto sink = std::make_unique<MemoryWriter>();
  MemoryWriter* stored = sink.get();  // owned by `chain`
  // What backup-push will do: hash the original and the stored bytes in the same pass.
  auto chain = std::make_unique<HashingWriter>(
      crypter_.WrapEncrypt(std::make_unique<HashingWriter>(std::move(sink), stored_digest)),
      plain_digest);
  EXPECT_FALSE(plain_digest->ready());
  WriteInRandomChunks(*chain, plain, 1_MiB, 3);
  ASSERT_EQ(stored->data().size(), CipherSize(plain.size()));
  EXPECT_EQ(plain_digest->get(), Digest::Of(AsBytes(plain)));
  EXPECT_EQ(stored_digest->get(), Digest::Of(AsBytes(stored->data())));

  auto restored_digest = std::make_shared<DigestResult>();
  HashingReader reader(crypter_.WrapDecrypt(std::make_unique<MemoryReader>(stored->data())),
                       restored_digest);
  std::string buffer(1_MiB + 5, '\0');
  while (reader.Read(AsWritableBytes(buffer)) != 0) {
  }
  EXPECT_EQ(restored_digest->get(), plain_digest->get());
}

TEST_F(SodiumCrypterTest, EachEncryptionHasAFreshHeader) {
  std::string plain = "same plaintext";
  std::string a = Encrypt(crypter_, plain);
  std::string b = Encrypt(crypter_, plain);
  EXPECT_NE(a.substr(0, kHeaderSize), b.substr(0, kHeaderSize));
  EXPECT_NE(a, b);
}

// The push and pull states of crypto_secretstream are the same structure, so init_pull on
// Walnut's header rebuilds the exact state it encrypted with: pushing the plaintext in WAL-G's
// framing with plain libsodium calls must reproduce every byte.
TEST_F(SodiumCrypterTest, MatchesDirectLibsodiumCallsByteForByte) {
  SodiumKey key = HexKey(kTestKeyHex);
  for (size_t size : {0, 1, 8192, 20000, 100000}) {
    SCOPED_TRACE(size);
    std::string plain = RandomBytes(size, size + 42);
    std::string cipher = Encrypt(crypter_, plain, 5000, size);
    ASSERT_GE(cipher.size(), kHeaderSize);
    crypto_secretstream_xchacha20poly1305_state state;
    ASSERT_EQ(crypto_secretstream_xchacha20poly1305_init_pull(
                  &state, reinterpret_cast<const unsigned char*>(cipher.data()), key.data()),
              0);
    std::string expected = cipher.substr(0, kHeaderSize);
    const auto* p = reinterpret_cast<const unsigned char*>(plain.data());
    size_t pos = 0;
    std::string chunk(kCipherChunkSize, '\0');
    auto push = [&](size_t n, unsigned char tag) {
      unsigned long long out = 0;
      ASSERT_EQ(crypto_secretstream_xchacha20poly1305_push(
                    &state, reinterpret_cast<unsigned char*>(chunk.data()), &out, p + pos, n,
                    nullptr, 0, tag),
                0);
      expected.append(chunk.data(), out);
      pos += n;
    };
    while (plain.size() - pos >= kChunkSize) push(kChunkSize, 0);
    push(plain.size() - pos, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
    EXPECT_TRUE(expected == cipher);
  }
}

// Encrypts `plain` with direct libsodium calls in WAL-G's framing.
std::string DirectEncrypt(const SodiumKey& key, const std::string& plain, bool full_final = false) {
  crypto_secretstream_xchacha20poly1305_state state;
  std::string out(kHeaderSize, '\0');
  crypto_secretstream_xchacha20poly1305_init_push(
      &state, reinterpret_cast<unsigned char*>(out.data()), key.data());
  const auto* p = reinterpret_cast<const unsigned char*>(plain.data());
  size_t pos = 0;
  std::string chunk(kCipherChunkSize, '\0');
  while (true) {
    size_t left = plain.size() - pos;
    bool last = full_final ? left <= kChunkSize : left < kChunkSize;
    size_t n = std::min(left, kChunkSize);
    unsigned long long size = 0;
    crypto_secretstream_xchacha20poly1305_push(
        &state, reinterpret_cast<unsigned char*>(chunk.data()), &size, p + pos, n, nullptr, 0,
        last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
    out.append(chunk.data(), size);
    pos += n;
    if (last) return out;
  }
}

TEST_F(SodiumCrypterTest, DecryptsDirectLibsodiumOutput) {
  SodiumKey key = HexKey(kTestKeyHex);
  for (size_t size : {0, 1, 8192, 100000}) {
    std::string plain = RandomBytes(size, size + 9);
    EXPECT_EQ(Decrypt(crypter_, DirectEncrypt(key, plain)), plain) << size;
  }
  // Another writer may end with a full 8192-byte final chunk; that is still a valid stream.
  std::string plain = RandomBytes(2 * kChunkSize, 4);
  EXPECT_EQ(Decrypt(crypter_, DirectEncrypt(key, plain, /*full_final=*/true)), plain);
}

TEST_F(SodiumCrypterTest, WrongKeyIsCorruption) {
  SodiumCrypter other(HexKey(kOtherKeyHex));
  for (size_t size : {0, 100, 8192, 30000}) {
    std::string cipher = Encrypt(crypter_, RandomBytes(size, 1));
    EXPECT_THAT(ExpectCorruption(other, cipher), HasSubstr(kAuthFailed)) << size;
  }
}

TEST_F(SodiumCrypterTest, EveryFlippedByteIsCorruption) {
  std::string plain = RandomBytes(2 * kChunkSize + 1000, 8);
  std::string cipher = Encrypt(crypter_, plain);
  // Header, first and last bytes of each chunk (where the tag byte and MAC sit), and a stride
  // through everything else.
  std::vector<size_t> offsets;
  for (size_t i = 0; i < kHeaderSize + 2; ++i) offsets.push_back(i);
  for (size_t c = 0; c < 3; ++c) {
    size_t start = kHeaderSize + c * kCipherChunkSize;
    for (size_t d = 0; d < 20; ++d) offsets.push_back(std::min(start + d, cipher.size() - 1));
    offsets.push_back(std::min(start + kCipherChunkSize - 1, cipher.size() - 1));
  }
  for (size_t i = 0; i < cipher.size(); i += 61) offsets.push_back(i);
  offsets.push_back(cipher.size() - 1);
  for (size_t offset : offsets) {
    for (unsigned char mask : {0x01, 0x80}) {
      std::string bad = cipher;
      bad[offset] = static_cast<char>(bad[offset] ^ mask);
      EXPECT_THAT(ExpectCorruption(crypter_, bad), HasSubstr(kAuthFailed)) << offset;
    }
  }
}

TEST_F(SodiumCrypterTest, TruncationAnywhereIsCorruption) {
  std::string plain = RandomBytes(3 * kChunkSize + 500, 9);
  std::string cipher = Encrypt(crypter_, plain);
  std::vector<size_t> cuts;
  for (size_t i = 0; i < 64; ++i) cuts.push_back(i);
  for (size_t i = 64; i < cipher.size(); i += 37) cuts.push_back(i);
  for (size_t c = 0; c <= 3; ++c) {
    size_t boundary = kHeaderSize + c * kCipherChunkSize;
    for (size_t d : {boundary - 1, boundary, boundary + 1, boundary + 16, boundary + 17}) {
      cuts.push_back(d);
    }
  }
  cuts.push_back(cipher.size() - 1);
  for (size_t cut : cuts) {
    ASSERT_LT(cut, cipher.size());
    ExpectCorruption(crypter_, cipher.substr(0, cut));
  }
  // Cut exactly between chunks: every chunk so far authenticates, the final one never comes.
  for (size_t c = 1; c <= 3; ++c) {
    std::string message =
        ExpectCorruption(crypter_, cipher.substr(0, kHeaderSize + c * kCipherChunkSize));
    EXPECT_THAT(message, HasSubstr("truncated")) << c;
  }
  EXPECT_THAT(ExpectCorruption(crypter_, cipher.substr(0, kHeaderSize)), HasSubstr("truncated"));
  EXPECT_THAT(ExpectCorruption(crypter_, cipher.substr(0, 10)), HasSubstr("truncated"));
  EXPECT_THAT(ExpectCorruption(crypter_, ""), HasSubstr("empty"));
}

TEST_F(SodiumCrypterTest, PlaintextBeforeTheCutIsDeliveredThenTheErrorFollows) {
  std::string plain = RandomBytes(2 * kChunkSize + 10, 10);
  std::string cipher = Encrypt(crypter_, plain);
  auto reader = crypter_.WrapDecrypt(
      std::make_unique<MemoryReader>(cipher.substr(0, kHeaderSize + 2 * kCipherChunkSize)));
  std::string got(2 * kChunkSize, '\0');
  EXPECT_EQ(ReadFull(*reader, AsWritableBytes(got)), got.size());
  EXPECT_EQ(got, plain.substr(0, got.size()));
  std::string more(10, '\0');
  EXPECT_THROW(reader->Read(AsWritableBytes(more)), Error);
  // A failed stream stays failed.
  EXPECT_THROW(reader->Read(AsWritableBytes(more)), Error);
}

TEST_F(SodiumCrypterTest, TrailingBytesAreCorruption) {
  for (size_t size : {0, 100, 8192, 9000}) {
    std::string cipher = Encrypt(crypter_, RandomBytes(size, 12));
    ExpectCorruption(crypter_, cipher + "x");
    ExpectCorruption(crypter_, cipher + std::string(kCipherChunkSize, '\0'));
    // A second complete stream glued on is not part of this one.
    ExpectCorruption(crypter_, cipher + cipher);
  }
  // After a full-size final chunk the reader has to look for more itself.
  SodiumKey key = HexKey(kTestKeyHex);
  std::string full_final = DirectEncrypt(key, RandomBytes(kChunkSize, 13), true);
  EXPECT_THAT(ExpectCorruption(crypter_, full_final + "x"), HasSubstr("after its final chunk"));
}

TEST_F(SodiumCrypterTest, EmptyDestinationReadsNothing) {
  auto reader = crypter_.WrapDecrypt(std::make_unique<MemoryReader>(Encrypt(crypter_, "abc")));
  EXPECT_EQ(reader->Read(ByteSpan()), 0u);
  EXPECT_EQ(ReadAll(*reader), "abc");
  std::string buf(8, '\0');
  EXPECT_EQ(reader->Read(AsWritableBytes(buf)), 0u);
}

TEST_F(SodiumCrypterTest, WriterStreamsWithOneChunkOfBuffering) {
  auto log = std::make_shared<RecordingWriter::Log>();
  auto writer = crypter_.WrapEncrypt(std::make_unique<RecordingWriter>(log));
  std::string plain = RandomBytes(1_MiB + 100, 14);
  writer->Write(AsBytes(plain));
  // Everything but the last partial chunk is already downstream.
  EXPECT_EQ(log->data.size(), kHeaderSize + plain.size() / kChunkSize * kCipherChunkSize);
  EXPECT_FALSE(log->closed);
  writer->Close();
  EXPECT_TRUE(log->closed);
  EXPECT_FALSE(log->aborted);
  EXPECT_EQ(log->data.size(), CipherSize(plain.size()));
}

TEST_F(SodiumCrypterTest, WriterWithoutCloseAbortsDownstream) {
  auto log = std::make_shared<RecordingWriter::Log>();
  {
    auto writer = crypter_.WrapEncrypt(std::make_unique<RecordingWriter>(log));
    writer->Write(AsBytes(RandomBytes(20000, 1)));
  }
  EXPECT_TRUE(log->aborted);
  EXPECT_FALSE(log->closed);
}

TEST_F(SodiumCrypterTest, DownstreamFailurePropagatesAndAborts) {
  auto log = std::make_shared<RecordingWriter::Log>();
  {
    auto writer = crypter_.WrapEncrypt(std::make_unique<RecordingWriter>(log, /*fail_on_write=*/2));
    std::string message = ExpectError(
        ErrorCode::kNetwork, [&] { writer->Write(AsBytes(RandomBytes(5 * kChunkSize, 1))); });
    EXPECT_EQ(message, "injected failure");
    EXPECT_THROW(writer->Write(AsBytes("more")), Error);
    EXPECT_THROW(writer->Close(), Error);
  }
  EXPECT_TRUE(log->aborted);
  EXPECT_FALSE(log->closed);
}

TEST_F(SodiumCrypterTest, WriteAfterCloseIsAnError) {
  auto writer = crypter_.WrapEncrypt(std::make_unique<MemoryWriter>());
  writer->Close();
  ExpectError(ErrorCode::kInternal, [&] { writer->Write(AsBytes("x")); });
  ExpectError(ErrorCode::kInternal, [&] { writer->Close(); });
}

TEST_F(SodiumCrypterTest, OneCrypterServesManyThreads) {
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::string plain = RandomBytes(300000 + static_cast<size_t>(t), static_cast<uint64_t>(t));
      bool good = true;
      for (int i = 0; i < 5; ++i)
        good = good && Decrypt(crypter_, Encrypt(crypter_, plain)) == plain;
      ok[static_cast<size_t>(t)] = good ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok, std::vector<int>(4, 1));
}

}  // namespace
}  // namespace walnut
