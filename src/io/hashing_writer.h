#pragma once

#include <memory>

#include "io/digest.h"
#include "io/writer.h"

namespace walnut {

// Forwards every byte to `next` unchanged and computes the SHA-256 and length of what it forwarded.
// It can sit anywhere in a chain: before compression it sees the original bytes, after encryption
// the stored ones. `result` is filled only after the downstream Close() succeeded. Not thread-safe.
class HashingWriter : public Writer {
 public:
  HashingWriter(std::unique_ptr<Writer> next, std::shared_ptr<DigestResult> result);
  ~HashingWriter() override;

  void Write(ConstByteSpan src) override;
  void Close() override;
  void Abort() noexcept override;

 private:
  std::unique_ptr<Writer> next_;
  std::shared_ptr<DigestResult> result_;
  Sha256Hasher hasher_;
  bool done_ = false;  // closed or aborted: the destructor has nothing to undo
};

}  // namespace walnut
