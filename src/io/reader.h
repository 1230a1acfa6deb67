#pragma once

#include <cstddef>
#include <memory>

#include "common/bytes.h"

namespace walnut {

// A pull-based byte stream. Not thread-safe; one thread reads it at a time.
class Reader {
 public:
  virtual ~Reader() = default;
  // Reads up to dst.size() bytes into dst and returns how many. Returns 0 only at the end of the
  // stream (or when dst is empty). Throws Error on failure; kCorruption for bytes that do not decode.
  virtual size_t Read(ByteSpan dst) = 0;
};

// Reads until dst is full or the stream ends; returns the bytes read.
size_t ReadFull(Reader& reader, ByteSpan dst);

}  // namespace walnut
