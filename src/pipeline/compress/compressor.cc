#include "pipeline/compress/compressor.h"

#include <array>
#include <string>

#include "common/error.h"
#include "pipeline/compress/brotli_compressor.h"
#include "pipeline/compress/lz4_compressor.h"
#include "pipeline/compress/lzma_compressor.h"
#include "pipeline/compress/none_compressor.h"
#include "pipeline/compress/zstd_compressor.h"

namespace walnut {
namespace {

// WAL-G's names are klauspost/compress speed levels; these are the zstd levels they match.
constexpr NamedLevel kZstdLevelNames[] = {
    {"fastest", 1}, {"default", 3}, {"better", 7}, {"best", 11}};

}  // namespace

std::span<const Codec> Codecs() {
  static const Lz4Compressor lz4;
  static const LzmaCompressor lzma;
  static const ZstdCompressor zstd;
  static const BrotliCompressor brotli;
  static const NoneCompressor none;
  static const Codec table[] = {
      {CompressionMethod::kLz4, "lz4", "lz4", "", {}, 0, 0, &lz4},
      {CompressionMethod::kLzma, "lzma", "lzma", "", {}, 0, 0, &lzma},
      {CompressionMethod::kZstd, "zstd", "zst", "WALG_ZSTD_LEVEL", kZstdLevelNames, 1, 22, &zstd},
      {CompressionMethod::kBrotli, "brotli", "br", "", {}, 0, 0, &brotli},
      {CompressionMethod::kNone, "none", "", "", {}, 0, 0, &none},
  };
  return table;
}

const Codec& CodecFor(CompressionMethod method) {
  for (const Codec& codec : Codecs()) {
    if (codec.method == method) return codec;
  }
  // Unreachable for valid enumerators; a cast integer is a programming error.
  throw Error(ErrorCode::kInternal,
              "unknown compression method " + std::to_string(static_cast<int>(method)));
}

const Compressor& GetCompressor(CompressionMethod method) { return *CodecFor(method).compressor; }

std::optional<CompressionMethod> CompressionMethodFromName(std::string_view name) {
  for (const Codec& codec : Codecs()) {
    if (codec.name == name) return codec.method;
  }
  return std::nullopt;
}

std::optional<CompressionMethod> CompressionMethodFromExtension(std::string_view extension) {
  for (const Codec& codec : Codecs()) {
    if (codec.extension == extension) return codec.method;
  }
  return std::nullopt;
}

std::span<const std::string_view> UndecodableExtensions() {
  static constexpr std::string_view kUndecodable[] = {"gz", "lzo", "xz", "bz2", "snappy", "sz"};
  return kUndecodable;
}

}  // namespace walnut
