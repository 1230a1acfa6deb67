#pragma once

#include "pipeline/compress/compressor.h"

namespace walnut {

// A raw brotli stream (RFC 7932, no framing), quality 3 and a 4 MiB window by default as WAL-G's
// cbrotli writer. Thread-safe.
class BrotliCompressor final : public Compressor {
 public:
  std::unique_ptr<Writer> WrapWriter(std::unique_ptr<Writer> next,
                                     const CompressionOptions& options = {}) const override;
  std::unique_ptr<Reader> WrapReader(std::unique_ptr<Reader> next) const override;
};

}  // namespace walnut
