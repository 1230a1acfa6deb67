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

const std::array<const Compressor*, 5>& AllCompressors() {
  static const NoneCompressor kNone;
  static const Lz4Compressor kLz4;
  static const ZstdCompressor kZstd;
  static const BrotliCompressor kBrotli;
  static const LzmaCompressor kLzma;
  static const std::array<const Compressor*, 5> kAll = {&kNone, &kLz4, &kZstd, &kBrotli, &kLzma};
  return kAll;
}

}  // namespace

const Compressor& GetCompressor(CompressionMethod method) {
  for (const Compressor* compressor : AllCompressors()) {
    if (compressor->method() == method) return *compressor;
  }
  // Unreachable for valid enumerators; a cast integer is a programming error.
  throw Error(ErrorCode::kInternal,
              "unknown compression method " + std::to_string(static_cast<int>(method)));
}

std::optional<CompressionMethod> CompressionMethodFromName(std::string_view name) {
  for (const Compressor* compressor : AllCompressors()) {
    if (compressor->Name() == name) return compressor->method();
  }
  return std::nullopt;
}

std::optional<CompressionMethod> CompressionMethodFromExtension(std::string_view extension) {
  for (const Compressor* compressor : AllCompressors()) {
    if (compressor->FileExtension() == extension) return compressor->method();
  }
  return std::nullopt;
}

}  // namespace walnut
