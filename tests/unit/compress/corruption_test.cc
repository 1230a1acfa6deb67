// Damaged input must end in walnut::Error(kCorruption), never a crash, a hang or silently short
// data.
#include <gtest/gtest.h>

#include "compress_test_util.h"

namespace walnut::testing {
namespace {

using M = CompressionMethod;

class CorruptionTest : public ::testing::TestWithParam<M> {
 protected:
  M method() const { return GetParam(); }
  std::string Expect(std::string compressed, const std::string& what) {
    std::string message;
    std::optional<ErrorCode> code = DecompressError(method(), std::move(compressed), &message);
    EXPECT_EQ(code, ErrorCode::kCorruption) << what << ": " << message;
    EXPECT_EQ(message.rfind(MethodName(method()) + ": ", 0), 0u) << message;
    return message;
  }
};

TEST_P(CorruptionTest, EmptyInput) {
  std::string message = Expect("", "empty input");
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
}

TEST_P(CorruptionTest, TruncatedAtManyOffsets) {
  std::string data = CompressibleBytes(600000, 81) + RandomBytes(100000, 82);
  std::string compressed = Compress(method(), data);
  size_t n = compressed.size();
  for (size_t cut : {size_t{1}, size_t{4}, size_t{5}, size_t{12}, size_t{13}, size_t{20}, n / 3,
                     n / 2, n - 100, n - 9, n - 5, n - 4, n - 2, n - 1}) {
    Expect(compressed.substr(0, cut), "cut at " + std::to_string(cut) + " of " + std::to_string(n));
  }
}

TEST_P(CorruptionTest, TruncatedTinyStreams) {
  for (const std::string& data : {std::string(), std::string("a"), CompressibleBytes(1000)}) {
    std::string compressed = Compress(method(), data);
    for (size_t cut = 0; cut < compressed.size(); ++cut) {
      Expect(compressed.substr(0, cut), "cut at " + std::to_string(cut));
    }
  }
}

TEST_P(CorruptionTest, GarbageInput) {
  Expect(RandomBytes(100000, 83), "random bytes");
  Expect("this is plain text, not compressed data\n", "text");
  Expect(std::string(4096, '\0'), "zeros");
}

TEST_P(CorruptionTest, TrailingGarbageAfterCompleteStream) {
  std::string compressed = Compress(method(), CompressibleBytes(100000, 84));
  for (const std::string& tail : {std::string("x"), std::string("garbage after the stream"),
                                  std::string(16, '\0'), RandomBytes(5000, 85)}) {
    Expect(compressed + tail, "tail of " + std::to_string(tail.size()));
  }
}

TEST_P(CorruptionTest, SecondStreamAfterFirst) {
  std::string a = Compress(method(), "first");
  std::string b = Compress(method(), "second");
  if (method() == M::kLz4 || method() == M::kZstd) {
    // Frame formats: concatenated frames are one stream (as `cat a.zst b.zst | zstd -d`).
    EXPECT_EQ(Decompress(method(), a + b), "firstsecond");
  } else {
    // Brotli and .lzma have no frames: a second stream is data after the end.
    Expect(a + b, "two streams");
  }
}

// Without a checksum a flip may decode to other bytes; what every format guarantees is an Error
// or some output, never a crash or an exception of another type. lz4 and zstd must also never
// return wrong data (compressible data: a flip may hit a match that decodes the same).
TEST_P(CorruptionTest, FlippedBytesNeverCrash) {
  std::string data = CompressibleBytes(200000, 87);
  std::string compressed = Compress(method(), data);
  int detected = 0;
  int flips = 0;
  for (size_t pos = 0; pos < compressed.size(); pos += compressed.size() / 151 + 1) {
    std::string damaged = compressed;
    damaged[pos] = static_cast<char>(damaged[pos] ^ 0x24);
    ++flips;
    try {
      std::string out = Decompress(method(), damaged);
      if (method() == M::kLz4 || method() == M::kZstd) {
        EXPECT_TRUE(out == data) << "wrong data returned for a flip at " << pos;
      }
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
      ++detected;
    }
  }
  EXPECT_GT(detected, flips / 2) << "most flips should be detected";
}

// Brotli and .lzma carry no checksum: FlippedBytesNeverCrash covers them.
class ChecksummedCorruptionTest : public CorruptionTest {};

// lz4 (content checksum) and zstd (frame checksum) detect every changed byte. On incompressible
// data every payload byte is a literal, so no flip can decode to the same output.
TEST_P(ChecksummedCorruptionTest, FlippedBytesAreDetected) {
  std::string compressed = Compress(method(), RandomBytes(300000, 86));
  for (size_t pos = 0; pos < compressed.size(); pos += compressed.size() / 97 + 1) {
    for (unsigned char mask : {0x01, 0x80, 0xff}) {
      std::string damaged = compressed;
      damaged[pos] = static_cast<char>(damaged[pos] ^ mask);
      Expect(damaged, "flip at " + std::to_string(pos));
    }
  }
  // The trailing checksum itself.
  for (size_t back = 1; back <= 4; ++back) {
    std::string damaged = compressed;
    damaged[damaged.size() - back] ^= 0x10;
    Expect(damaged, "flip in checksum");
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, CorruptionTest,
                         ::testing::Values(M::kLz4, M::kZstd, M::kBrotli, M::kLzma),
                         [](const ::testing::TestParamInfo<M>& p) { return MethodName(p.param); });
INSTANTIATE_TEST_SUITE_P(Codecs, ChecksummedCorruptionTest, ::testing::Values(M::kLz4, M::kZstd),
                         [](const ::testing::TestParamInfo<M>& p) { return MethodName(p.param); });

}  // namespace
}  // namespace walnut::testing
