// Interoperability with the reference command-line tools, both ways. The tools are installed by
// tools/install-deps.sh; a missing tool fails the test (it would hide a format regression).
#include <gtest/gtest.h>

#include "compress_test_util.h"

namespace walnut::testing {
namespace {

using M = CompressionMethod;

std::string RunTool(const std::string& command, const std::string& input) {
  CommandResult result = RunCommand(command, input);
  EXPECT_EQ(result.exit_code, 0) << command << ": " << result.err;
  return result.out;
}

struct Encoder {
  std::string command;  // reads standard input, writes the compressed stream to standard output
  size_t input_size;    // the slowest settings (xz -9e, brotli -q 11, zstd -19) get less input
};

struct Tool {
  M method;
  std::string decode;  // reads standard input, writes the original to standard output
  size_t input_size;
  std::vector<Encoder> encoders;
};

const std::vector<Tool>& Tools() {
  static const std::vector<Tool> kTools = {
      {M::kLz4,
       "lz4 -d -c",
       5_MiB,
       {{"lz4 -1 -c", 5_MiB},
        {"lz4 -9 -c", 1_MiB},
        {"lz4 -c --fast=3", 5_MiB},
        {"lz4 -c -B4 --no-frame-crc", 1_MiB},  // 64 KiB blocks, no checksum
        {"lz4 -c -BD -B5", 1_MiB},             // linked blocks
        {"lz4 -c -BX", 1_MiB},                 // block checksums
        {"lz4 -c --content-size", 1_MiB}}},
      {M::kZstd,
       "zstd -d -c -q",
       5_MiB,
       {{"zstd -3 -c -q", 5_MiB},
        {"zstd -19 -c -q", 300_KiB},
        {"zstd -c -q --no-check", 1_MiB},
        {"zstd -c -q -T2 --fast=2", 5_MiB}}},
      {M::kBrotli,
       "brotli -d -c",
       2_MiB,
       {{"brotli -q 3 -c", 2_MiB}, {"brotli -q 11 -w 24 -c", 200_KiB}, {"brotli -q 0 -c", 1_MiB}}},
      {M::kLzma,
       "xz --format=lzma -d -c",
       512_KiB,
       {{"xz --format=lzma -c", 512_KiB},
        {"xz --format=lzma -0 -c", 512_KiB},
        {"xz --format=lzma -9e -c", 200_KiB}}},
  };
  return kTools;
}

// Text with an incompressible stretch in the middle.
std::string Data(size_t size) {
  return CompressibleBytes(size / 2, 71) + RandomBytes(size / 4, 72) +
         CompressibleBytes(size - size / 2 - size / 4, 73);
}

TEST(InteropTest, ToolsAreInstalled) {
  for (const char* tool : {"lz4", "zstd", "brotli", "xz"}) {
    EXPECT_EQ(RunCommand(std::string("command -v ") + tool).exit_code, 0)
        << tool << " is missing: run tools/install-deps.sh";
  }
}

TEST(InteropTest, ToolsDecodeWhatWalnutWrites) {
  for (const Tool& tool : Tools()) {
    for (const std::string& input : {Data(tool.input_size), std::string(), std::string("x")}) {
      std::string compressed = Compress(tool.method, input);
      EXPECT_TRUE(RunTool(tool.decode, compressed) == input)
          << tool.decode << " on " << input.size() << " bytes";
    }
  }
}

TEST(InteropTest, WalnutDecodesWhatToolsWrite) {
  for (const Tool& tool : Tools()) {
    for (const Encoder& encoder : tool.encoders) {
      for (const std::string& input : {Data(encoder.input_size), std::string(), std::string("x")}) {
        std::string compressed = RunTool(encoder.command, input);
        std::string decoded;
        try {
          decoded = Decompress(tool.method, compressed);
        } catch (const Error& e) {
          ADD_FAILURE() << encoder.command << " on " << input.size() << " bytes: " << e.what();
          continue;
        }
        EXPECT_TRUE(decoded == input) << encoder.command << " on " << input.size() << " bytes";
      }
    }
  }
}

// The lz4 CLI with its defaults (from a pipe) and Walnut produce the very same bytes: same block
// size, block mode, checksum and level.
TEST(InteropTest, Lz4OutputIsIdenticalToLz4Cli) {
  std::string data = CompressibleBytes(9_MiB, 73);
  EXPECT_TRUE(Compress(M::kLz4, data) == RunTool("cat | lz4 -1 -c", data));
}

// Brotli at WAL-G's quality 3 and default window is what `brotli -q 3` writes.
TEST(InteropTest, BrotliOutputIsIdenticalToBrotliCliAtQuality3) {
  std::string data = CompressibleBytes(3_MiB, 74);
  EXPECT_TRUE(Compress(M::kBrotli, data) == RunTool("cat | brotli -q 3 -w 22 -c", data));
}

TEST(InteropTest, ConcatenatedFramesFromToolsDecodeAsOneStream) {
  std::string a = CompressibleBytes(700000, 75);
  std::string b = RandomBytes(300000, 76);
  for (auto [method, encoder] : {std::pair{M::kLz4, "lz4 -c"}, std::pair{M::kZstd, "zstd -c -q"}}) {
    std::string both = RunTool(encoder, a) + RunTool(encoder, "") + Compress(method, b);
    EXPECT_TRUE(Decompress(method, both) == a + b) << encoder;
  }
}

// xz always writes an unknown size with an end marker. Some writers (ulikunitz with a known
// Size) put the real size in the header; xz 5.4 reads that with or without the end marker, and
// so must Walnut.
TEST(InteropTest, LzmaWithKnownSizeInHeader) {
  std::string data = CompressibleBytes(400000, 77);
  std::string compressed = RunTool("xz --format=lzma -c", data);
  ASSERT_GE(compressed.size(), 13u);
  uint64_t size = data.size();
  for (int i = 0; i < 8; ++i) compressed[5 + i] = static_cast<char>(size >> (8 * i));
  EXPECT_TRUE(RunTool("xz --format=lzma -d -c", compressed) == data);
  EXPECT_TRUE(Decompress(M::kLzma, compressed) == data);
}

}  // namespace
}  // namespace walnut::testing
