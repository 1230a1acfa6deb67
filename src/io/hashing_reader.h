#pragma once

#include <memory>

#include "io/digest.h"
#include "io/reader.h"

namespace walnut {

// Passes `next` through unchanged and computes the SHA-256 and length of the bytes read. `result`
// is filled when Read() first reports the end of the stream (returns 0 for a non-empty buffer);
// a reader abandoned early never publishes a digest. Not thread-safe.
class HashingReader : public Reader {
 public:
  HashingReader(std::unique_ptr<Reader> next, std::shared_ptr<DigestResult> result);

  size_t Read(ByteSpan dst) override;

 private:
  std::unique_ptr<Reader> next_;
  std::shared_ptr<DigestResult> result_;
  Sha256Hasher hasher_;
  bool finished_ = false;
};

}  // namespace walnut
