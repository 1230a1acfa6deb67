#pragma once

#include "pipeline/compress/compressor.h"

namespace walnut {

// The legacy ".lzma" ("LZMA alone") format, as WAL-G's ulikunitz/xz/lzma writes it: a 13-byte
// header (properties, dictionary size, uncompressed size, here "unknown" since we stream) and an
// LZMA1 stream ended by an end-of-payload marker. Not .xz. Compatible with `xz --format=lzma`;
// reading accepts known and unknown sizes. The default is preset 6 (lc3 lp0 pb2, 8 MiB
// dictionary: ulikunitz's defaults). Decoding refuses streams that need more than 1 GiB
// of memory (a dictionary size no encoder preset uses). Thread-safe.
class LzmaCompressor final : public Compressor {
 public:
  std::unique_ptr<Writer> WrapWriter(std::unique_ptr<Writer> next,
                                     const CompressionOptions& options = {}) const override;
  std::unique_ptr<Reader> WrapReader(std::unique_ptr<Reader> next) const override;
};

}  // namespace walnut
