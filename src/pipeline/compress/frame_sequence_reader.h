#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "pipeline/compress/codec_reader.h"

namespace walnut {

// The read loop of formats that are a sequence of self-contained frames (lz4, zstd): concatenated
// frames decode as one stream, and upstream must end between two frames. An empty stream or one
// that stops inside a frame is corruption ("truncated"). Not thread-safe.
class FrameSequenceReader : public CodecReader {
 public:
  size_t Read(ByteSpan dst) final;

 protected:
  // `codec` names the format in messages ("lz4").
  FrameSequenceReader(std::unique_ptr<Reader> next, size_t buffer_size, std::string_view codec)
      : CodecReader(std::move(next), buffer_size), codec_(codec) {}

  // One decoding step: consumes what it can of input() (which may be empty when the codec still
  // holds decoded bytes), writes into dst, returns the bytes written, and reports through
  // set_in_frame() whether a frame is still open afterwards.
  virtual size_t Decode(ByteSpan dst) = 0;
  void set_in_frame(bool open) {
    in_frame_ = open;
    if (!open) seen_frame_ = true;
  }

 private:
  std::string_view codec_;
  bool in_frame_ = false;
  bool seen_frame_ = false;
  bool ended_ = false;
};

}  // namespace walnut
