#pragma once

#include <memory>

#include "common/bytes.h"

namespace walnut {

// A push-based byte sink. What is written becomes visible (committed) only through Close().
// Not thread-safe. Decorators own their downstream Writer and forward Close()/Abort() to it.
class Writer {
 public:
  // A Writer destroyed without a successful Close() aborts: destructors never commit.
  virtual ~Writer() = default;
  // Throws Error on failure; after a failure the only valid call is Abort() (or destruction).
  virtual void Write(ConstByteSpan src) = 0;
  // Flushes trailers (frame ends, the final AEAD tag), then commits downstream.
  // REQUIRES: called at most once; no Write() after it.
  virtual void Close() = 0;
  // Discards everything: removes the temporary file, aborts the multipart upload. Never throws.
  virtual void Abort() noexcept = 0;
};

}  // namespace walnut
