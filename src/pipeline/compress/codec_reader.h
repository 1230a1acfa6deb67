#pragma once

#include <cstddef>
#include <memory>

#include "io/reader.h"

namespace walnut {

// The input side every decompressing Reader shares: it owns the upstream Reader and one fixed
// input buffer, so memory stays bounded whatever the stream's length. Not thread-safe.
class CodecReader : public Reader {
 protected:
  CodecReader(std::unique_ptr<Reader> next, size_t buffer_size);

  // Compressed bytes read from upstream and not consumed yet.
  ConstByteSpan input() const { return {buffer_.get() + pos_, end_ - pos_}; }
  void Consume(size_t n) { pos_ += n; }

  // REQUIRES: input() is empty. Reads the next piece of upstream into the buffer; returns false
  // (and sets upstream_ended()) at the end of upstream.
  bool Refill();
  bool upstream_ended() const { return upstream_ended_; }
  // True when no byte follows what was consumed: used after a format's end of stream, where any
  // further byte is trailing garbage.
  bool NothingLeft();

 private:
  std::unique_ptr<Reader> next_;
  std::unique_ptr<std::byte[]> buffer_;
  size_t buffer_size_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool upstream_ended_ = false;
};

}  // namespace walnut
