#include "pipeline/compress/compressor.h"

#include <gtest/gtest.h>

#include "compress_test_util.h"

namespace walnut::testing {
namespace {

using M = CompressionMethod;

TEST(CompressorTest, MapsNamesAndExtensionsAsWalG) {
  struct Row {
    M method;
    const char* name;
    const char* extension;
  };
  for (const Row& row :
       {Row{M::kNone, "none", ""}, Row{M::kLz4, "lz4", "lz4"}, Row{M::kZstd, "zstd", "zst"},
        Row{M::kBrotli, "brotli", "br"}, Row{M::kLzma, "lzma", "lzma"}}) {
    const Codec& c = CodecFor(row.method);
    EXPECT_EQ(c.method, row.method);
    EXPECT_EQ(c.name, row.name);
    EXPECT_EQ(c.extension, row.extension);
    EXPECT_EQ(c.compressor, &GetCompressor(row.method));
    EXPECT_EQ(CompressionMethodFromName(row.name), row.method);
    EXPECT_EQ(CompressionMethodFromExtension(row.extension), row.method);
  }
}

TEST(CompressorTest, TableIsInWalGProbeOrder) {
  std::vector<M> order;
  for (const Codec& codec : Codecs()) order.push_back(codec.method);
  EXPECT_EQ(order, (std::vector<M>{M::kLz4, M::kLzma, M::kZstd, M::kBrotli, M::kNone}));
  for (std::string_view ext : UndecodableExtensions()) {
    EXPECT_EQ(CompressionMethodFromExtension(ext), std::nullopt) << ext;
  }
}

TEST(CompressorTest, UnknownNamesAndExtensionsAreNullopt) {
  for (const char* name : {"", "LZ4", "Zstd", "zst", "br", "gzip", "gz", "xz", "snappy", "lz4 "}) {
    EXPECT_EQ(CompressionMethodFromName(name), std::nullopt) << name;
  }
  for (const char* ext : {"zstd", "brotli", ".lz4", "LZ4", "gz", "lzo", "xz", "tar", "none"}) {
    EXPECT_EQ(CompressionMethodFromExtension(ext), std::nullopt) << ext;
  }
}

TEST(CompressorTest, NoneIsPassthrough) {
  const Compressor& none = GetCompressor(M::kNone);
  std::string data = CompressibleBytes(300000);
  EXPECT_TRUE(Compress(M::kNone, data) == data);
  EXPECT_TRUE(Decompress(M::kNone, data) == data);
  EXPECT_EQ(Decompress(M::kNone, ""), "");
  try {
    none.WrapWriter(std::make_unique<MemoryWriter>(), {.level = 3});
    FAIL() << "a level without compression was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  }
}

TEST(CompressorTest, RejectsLevelsOutOfRange) {
  for (auto [method, level] :
       {std::pair{M::kLz4, 13}, std::pair{M::kZstd, 23}, std::pair{M::kBrotli, 12},
        std::pair{M::kBrotli, -1}, std::pair{M::kLzma, 10}, std::pair{M::kLzma, -1}}) {
    RecordingWriter::Log log;
    try {
      GetCompressor(method).WrapWriter(std::make_unique<RecordingWriter>(&log), {.level = level});
      ADD_FAILURE() << MethodName(method) << " accepted level " << level;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find(MethodName(method) + ": compression level"),
                std::string::npos)
          << e.what();
    }
    EXPECT_EQ(log.closes, 0);
  }
}

// The format details WAL-G's writers produce, checked on the bytes.
TEST(CompressorTest, Lz4FrameHeaderMatchesLz4CliDefaults) {
  std::string out = Compress(M::kLz4, "x");
  ASSERT_GE(out.size(), 7u);
  // Magic; FLG 0x64 = version 01, independent blocks, content checksum, no content size;
  // BD 0x70 = 4 MiB maximum block size.
  EXPECT_EQ(out.substr(0, 6), std::string("\x04\x22\x4d\x18\x64\x70", 6));
}

// WAL segments are written with smaller blocks (less memory); the frame says so, and the data
// round-trips across many blocks. BD's bits 4-6: 4 = 64 KiB, 5 = 256 KiB, 6 = 1 MiB, 7 = 4 MiB.
TEST(CompressorTest, Lz4BlockSizeIsRoundedUpToAFrameBlockSize) {
  std::string data = RandomBytes(1 << 20);
  for (auto [wanted, bd] :
       {std::pair<size_t, char>{1, '\x40'}, std::pair<size_t, char>{65536, '\x40'},
        std::pair<size_t, char>{65537, '\x50'}, std::pair<size_t, char>{256 << 10, '\x50'},
        std::pair<size_t, char>{1 << 20, '\x60'}, std::pair<size_t, char>{5 << 20, '\x70'}}) {
    CompressionOptions options;
    options.lz4_block_size = wanted;
    std::string out = Compress(M::kLz4, data, 100000, options);
    ASSERT_GE(out.size(), 7u);
    EXPECT_EQ(out[5], bd) << wanted;
    EXPECT_EQ(Decompress(M::kLz4, out), data) << wanted;
  }
}

TEST(CompressorTest, ZstdFrameHasChecksum) {
  std::string out = Compress(M::kZstd, "x");
  ASSERT_GE(out.size(), 5u);
  EXPECT_EQ(out.substr(0, 4), std::string("\x28\xb5\x2f\xfd", 4));
  EXPECT_TRUE(static_cast<unsigned char>(out[4]) & 0x04) << "Content_Checksum_flag not set";
}

TEST(CompressorTest, LzmaHeaderIsLzmaAloneWithUnknownSize) {
  std::string out = Compress(M::kLzma, "x");
  ASSERT_GE(out.size(), 13u);
  // lc=3 lp=0 pb=2 (0x5d), 8 MiB dictionary, uncompressed size unknown (all ones): what
  // ulikunitz/xz/lzma's default writer puts there.
  EXPECT_EQ(out.substr(0, 13),
            std::string("\x5d\x00\x00\x80\x00\xff\xff\xff\xff\xff\xff\xff\xff", 13));
}

class RoundTripTest : public ::testing::TestWithParam<M> {};

TEST_P(RoundTripTest, Empty) {
  std::string compressed = Compress(GetParam(), "");
  if (GetParam() != M::kNone) {
    EXPECT_FALSE(compressed.empty()) << "no end of stream written";
  }
  EXPECT_EQ(Decompress(GetParam(), compressed), "");
}

TEST_P(RoundTripTest, OneByte) {
  EXPECT_EQ(Decompress(GetParam(), Compress(GetParam(), "w")), "w");
}

// lzma's default preset compresses at about 1-2 MB/s (random data) to 10 MB/s (text) here, so its
// tests use smaller inputs to keep the suite fast; the code paths are the same at any size.
size_t Sized(M method, size_t size) { return method == M::kLzma ? size / 8 : size; }

TEST_P(RoundTripTest, RandomWriteAndReadSizes) {
  std::string data = CompressibleBytes(Sized(GetParam(), 3_MiB) + 17, 11) +
                     RandomBytes(Sized(GetParam(), 1_MiB), 12);
  std::string compressed = Compress(GetParam(), data, 200000);
  EXPECT_TRUE(Decompress(GetParam(), compressed, 200000) == data);
}

TEST_P(RoundTripTest, TinyWritesTinyReadsTinyUpstreamPieces) {
  std::string data = CompressibleBytes(200000, 21) + RandomBytes(50000, 22);
  std::string compressed = Compress(GetParam(), data, 64);
  auto reader = GetCompressor(GetParam())
                    .WrapReader(std::make_unique<ChunkyReader>(std::move(compressed), 7));
  EXPECT_TRUE(ReadInRandomChunks(*reader, 33) == data);
}

TEST_P(RoundTripTest, OutputDoesNotDependOnWriteSizes) {
  std::string data = CompressibleBytes(Sized(GetParam(), 1_MiB), 31);
  EXPECT_TRUE(Compress(GetParam(), data, 10) == Compress(GetParam(), data, 1_MiB));
}

// 64 MiB each, except lzma: at its 1-10 MB/s 64 MiB would take tens of seconds. 2 MiB of text
// and 1 MiB of random bytes still span several of its 1 MiB output buffers.
const std::string& LargeText() {
  static const std::string kText = CompressibleBytes(64_MiB, 41);
  return kText;
}

TEST_P(RoundTripTest, LargeCompressible) {
  std::string data = GetParam() == M::kLzma ? LargeText().substr(0, 2_MiB) : LargeText();
  std::string compressed = Compress(GetParam(), data, 4_MiB);
  if (GetParam() != M::kNone) {
    EXPECT_LT(compressed.size(), data.size() / 2);
  }
  EXPECT_TRUE(Decompress(GetParam(), std::move(compressed), 1_MiB) == data);
}

TEST_P(RoundTripTest, LargeIncompressible) {
  std::string data = RandomBytes(GetParam() == M::kLzma ? 1_MiB : 64_MiB, 42);
  std::string compressed = Compress(GetParam(), data, 4_MiB);
  // LZMA expands random data by about 1.4%, the others by well under 1%.
  EXPECT_LT(compressed.size(), data.size() + data.size() / 50 + 1024);
  EXPECT_TRUE(Decompress(GetParam(), std::move(compressed), 1_MiB) == data);
}

TEST_P(RoundTripTest, NonDefaultLevels) {
  std::string data = CompressibleBytes(200000, 51);
  std::vector<int> levels;
  switch (GetParam()) {
    case M::kLz4:
      levels = {-5, 1, 9, 12};
      break;
    case M::kZstd:
      levels = {-3, 1, 19};
      break;
    case M::kBrotli:
      levels = {0, 11};
      break;
    case M::kLzma:
      levels = {0, 9};
      break;
    case M::kNone:
      return;
  }
  for (int level : levels) {
    EXPECT_TRUE(Decompress(GetParam(), Compress(GetParam(), data, 100000, {.level = level})) ==
                data)
        << "level " << level;
  }
}

INSTANTIATE_TEST_SUITE_P(AllMethods, RoundTripTest,
                         ::testing::Values(M::kNone, M::kLz4, M::kZstd, M::kBrotli, M::kLzma),
                         [](const ::testing::TestParamInfo<M>& p) { return MethodName(p.param); });

// The Writer contract of the compressing writers (none hands back the downstream writer itself).
class WriterLifecycleTest : public ::testing::TestWithParam<M> {};

TEST_P(WriterLifecycleTest, CloseWritesTheEndAndClosesDownstreamOnce) {
  RecordingWriter::Log log;
  {
    auto writer = GetCompressor(GetParam()).WrapWriter(std::make_unique<RecordingWriter>(&log));
    writer->Write(AsBytes("hello"));
    writer->Close();
    EXPECT_EQ(log.closes, 1);
    EXPECT_FALSE(log.data.empty());
    try {
      writer->Write(AsBytes("more"));
      ADD_FAILURE() << "write after close was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInternal);
    }
  }
  // Destroying a closed writer neither aborts nor closes again.
  EXPECT_EQ(log.closes, 1);
  EXPECT_EQ(log.aborts, 0);
  EXPECT_EQ(Decompress(GetParam(), log.data), "hello");
}

TEST_P(WriterLifecycleTest, DestructionWithoutCloseAborts) {
  RecordingWriter::Log log;
  {
    auto writer = GetCompressor(GetParam()).WrapWriter(std::make_unique<RecordingWriter>(&log));
    writer->Write(AsBytes(CompressibleBytes(300000)));
  }
  EXPECT_EQ(log.closes, 0);
  EXPECT_EQ(log.aborts, 1);
}

TEST_P(WriterLifecycleTest, AbortAbortsDownstreamOnce) {
  RecordingWriter::Log log;
  {
    auto writer = GetCompressor(GetParam()).WrapWriter(std::make_unique<RecordingWriter>(&log));
    writer->Write(AsBytes("partial"));
    writer->Abort();
    writer->Abort();
  }
  EXPECT_EQ(log.closes, 0);
  EXPECT_EQ(log.aborts, 1);
}

// The codecs batch their output: downstream sees few, large writes (what an S3 part buffer or an
// encrypting layer wants), not one per compressed block. zstd's batches are 256 KiB (two blocks),
// so about 3 MiB of incompressible output takes 13 writes; one per 8 KiB input would be ~400.
TEST_P(WriterLifecycleTest, WritesDownstreamInLargePieces) {
  RecordingWriter::Log log;
  auto writer = GetCompressor(GetParam()).WrapWriter(std::make_unique<RecordingWriter>(&log));
  WriteInRandomChunks(*writer, RandomBytes(Sized(GetParam(), 3_MiB), 61), 8192);
  EXPECT_LE(log.writes, 16u) << log.writes << " writes for " << log.data.size() << " bytes";
}

INSTANTIATE_TEST_SUITE_P(Codecs, WriterLifecycleTest, ::testing::ValuesIn(CompressingMethods()),
                         [](const ::testing::TestParamInfo<M>& p) { return MethodName(p.param); });

}  // namespace
}  // namespace walnut::testing
