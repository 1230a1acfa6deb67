#include "pipeline/compress/frame_sequence_reader.h"

#include <fmt/format.h>

#include "common/error.h"

namespace walnut {

size_t FrameSequenceReader::Read(ByteSpan dst) {
  if (dst.empty() || ended_) return 0;
  while (true) {
    // The codec may still hold decoded bytes of the current block (when dst was small).
    if (in_frame_ && input().empty()) {
      if (size_t n = Decode(dst)) return n;
    }
    if (input().empty() && !Refill()) {
      if (in_frame_) {
        throw Error(ErrorCode::kCorruption,
                    fmt::format("{}: the stream ends in the middle of a frame; the object is "
                                "truncated",
                                codec_));
      }
      if (!seen_frame_) {
        throw Error(ErrorCode::kCorruption,
                    fmt::format("{0}: the stream is empty (no {0} frame); the object is truncated",
                                codec_));
      }
      ended_ = true;
      return 0;
    }
    if (size_t n = Decode(dst)) return n;
  }
}

}  // namespace walnut
