#include "pipeline/compress/none_compressor.h"

#include <fmt/format.h>

#include "common/error.h"

namespace walnut {

std::unique_ptr<Writer> NoneCompressor::WrapWriter(std::unique_ptr<Writer> next,
                                                   const CompressionOptions& options) const {
  if (options.level) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("none: a compression level ({}) was given but compression is off; "
                            "remove the level or choose a compression method",
                            *options.level));
  }
  return next;
}

std::unique_ptr<Reader> NoneCompressor::WrapReader(std::unique_ptr<Reader> next) const {
  return next;
}

}  // namespace walnut
