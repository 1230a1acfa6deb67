#pragma once

#include "pipeline/compress/compressor.h"

namespace walnut {

// Zstandard frames (RFC 8878) with a content checksum, level 3 by default (WAL-G's klauspost
// SpeedDefault and the `zstd` CLI's default). Reading accepts concatenated and skippable frames
// as one stream, with windows up to zstd's default limit of 128 MiB. Thread-safe.
class ZstdCompressor final : public Compressor {
 public:
  std::unique_ptr<Writer> WrapWriter(std::unique_ptr<Writer> next,
                                     const CompressionOptions& options = {}) const override;
  std::unique_ptr<Reader> WrapReader(std::unique_ptr<Reader> next) const override;
};

}  // namespace walnut
