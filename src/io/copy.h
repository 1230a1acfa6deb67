#pragma once

#include <cstdint>

#include "io/reader.h"
#include "io/writer.h"

namespace walnut {

inline constexpr size_t kDefaultCopyBufferSize = 256 * 1024;

// Pumps reader into writer through one fixed buffer until the reader ends; returns the bytes
// copied. Does not Close() the writer: the caller commits.
uint64_t Copy(Reader& reader, Writer& writer, size_t buffer_size = kDefaultCopyBufferSize);

}  // namespace walnut
