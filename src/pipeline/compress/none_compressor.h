#pragma once

#include "pipeline/compress/compressor.h"

namespace walnut {

// No compression (WALG_COMPRESSION_METHOD=none, objects without an extension): hands the streams
// back unchanged, so it costs nothing. Thread-safe.
class NoneCompressor final : public Compressor {
 public:
  std::unique_ptr<Writer> WrapWriter(std::unique_ptr<Writer> next,
                                     const CompressionOptions& options = {}) const override;
  std::unique_ptr<Reader> WrapReader(std::unique_ptr<Reader> next) const override;
};

}  // namespace walnut
