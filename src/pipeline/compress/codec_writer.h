#pragma once

#include <memory>

#include "io/writer.h"

namespace walnut {

// The part every compressing Writer shares: it owns the downstream Writer and enforces the
// Writer lifecycle (Close() finishes the stream and then commits downstream, Abort() or
// destruction without Close() aborts downstream, nothing is accepted after a failure).
// Subclasses only encode. Not thread-safe.
class CodecWriter : public Writer {
 public:
  ~CodecWriter() override;

  void Write(ConstByteSpan src) final;
  void Close() final;
  void Abort() noexcept final;

 protected:
  // `codec` names the format in error messages ("zstd").
  CodecWriter(std::unique_ptr<Writer> next, const char* codec);

  // Compresses `src` (never empty), writing complete output downstream as it sees fit.
  virtual void Encode(ConstByteSpan src) = 0;
  // Writes the end of the stream and any output still held, downstream.
  virtual void Finish() = 0;

  Writer& next() { return *next_; }
  const char* codec() const { return codec_; }

 private:
  enum class State { kOpen, kClosed, kFailed, kAborted };

  void CheckOpen(const char* operation) const;

  std::unique_ptr<Writer> next_;
  const char* codec_;
  State state_ = State::kOpen;
};

}  // namespace walnut
