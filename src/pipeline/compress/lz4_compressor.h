#pragma once

#include "pipeline/compress/compressor.h"

namespace walnut {

// LZ4 frame format (magic 04 22 4D 18), as WAL-G's pierrec/lz4 v4 and the `lz4` CLI write it:
// 4 MiB independent blocks, content checksum, fast level. Reading accepts any standard frames,
// concatenated frames included. Thread-safe.
class Lz4Compressor final : public Compressor {
 public:
  std::unique_ptr<Writer> WrapWriter(std::unique_ptr<Writer> next,
                                     const CompressionOptions& options = {}) const override;
  std::unique_ptr<Reader> WrapReader(std::unique_ptr<Reader> next) const override;
};

}  // namespace walnut
