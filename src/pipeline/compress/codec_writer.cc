#include "pipeline/compress/codec_writer.h"

#include <fmt/format.h>

#include "common/error.h"

namespace walnut {

CodecWriter::CodecWriter(std::unique_ptr<Writer> next, const char* codec)
    : next_(std::move(next)), codec_(codec) {}

CodecWriter::~CodecWriter() {
  // Only a successful Close() commits; anything else must not leave a complete-looking object.
  if (state_ != State::kClosed) Abort();
}

void CodecWriter::CheckOpen(const char* operation) const {
  if (state_ == State::kOpen) return;
  const char* state = state_ == State::kClosed   ? "closed"
                      : state_ == State::kFailed ? "failed"
                                                 : "aborted";
  throw Error(ErrorCode::kInternal,
              fmt::format("{}: {} on a writer that is already {}", codec_, operation, state));
}

void CodecWriter::Write(ConstByteSpan src) {
  CheckOpen("write");
  if (src.empty()) return;
  try {
    Encode(src);
  } catch (...) {
    state_ = State::kFailed;
    throw;
  }
}

void CodecWriter::Close() {
  CheckOpen("close");
  try {
    Finish();
    next_->Close();
  } catch (...) {
    state_ = State::kFailed;
    throw;
  }
  state_ = State::kClosed;
}

void CodecWriter::Abort() noexcept {
  if (state_ == State::kClosed || state_ == State::kAborted) return;
  state_ = State::kAborted;
  next_->Abort();
}

}  // namespace walnut
