#include "pipeline/compress/codec_reader.h"

#include <cassert>

namespace walnut {

CodecReader::CodecReader(std::unique_ptr<Reader> next, size_t buffer_size)
    : next_(std::move(next)),
      buffer_(std::make_unique_for_overwrite<std::byte[]>(buffer_size)),
      buffer_size_(buffer_size) {}

bool CodecReader::Refill() {
  assert(pos_ == end_);
  if (upstream_ended_) return false;
  pos_ = 0;
  end_ = next_->Read(ByteSpan(buffer_.get(), buffer_size_));
  if (end_ == 0) upstream_ended_ = true;
  return end_ > 0;
}

bool CodecReader::NothingLeft() { return input().empty() && !Refill(); }

}  // namespace walnut
