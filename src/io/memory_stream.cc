#include "io/memory_stream.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace walnut {

size_t MemoryReader::Read(ByteSpan dst) {
  size_t n = std::min(dst.size(), data_.size() - pos_);
  std::memcpy(dst.data(), data_.data() + pos_, n);
  pos_ += n;
  return n;
}

void MemoryWriter::Write(ConstByteSpan src) {
  if (closed_) throw Error(ErrorCode::kInternal, "write after close");
  data_.append(AsChars(src));
}

void MemoryWriter::Close() { closed_ = true; }

void MemoryWriter::Abort() noexcept {
  data_.clear();
  closed_ = false;
}

}  // namespace walnut
