#pragma once

#include <memory>
#include <optional>
#include <string>

#include "io/digest.h"
#include "io/reader.h"
#include "pipeline/content_checksum.h"

namespace walnut {

// Passes `next` through unchanged. With an `expected` SHA-256 (lower-case hex) it hashes the bytes,
// and when `next` ends, a different digest throws ChecksumMismatch (kCorruption, unnamed: an
// enclosing ContextReader names the object) instead of reporting the end: a caller never sees a
// complete stream of wrong bytes. Without one it calls `on_unverified(object, why)` at the end.
// Either happens once, at the first end of stream; a reader abandoned early does neither.
// Not thread-safe.
class ChecksumReader : public Reader {
 public:
  ChecksumReader(std::unique_ptr<Reader> next, std::optional<std::string> expected,
                 std::string object, UnverifiedObjectHandler on_unverified, std::string why);

  size_t Read(ByteSpan dst) override;

 private:
  void Finish();

  std::unique_ptr<Reader> next_;
  std::optional<std::string> expected_;
  std::string object_;
  UnverifiedObjectHandler on_unverified_;
  std::string why_;
  std::unique_ptr<Sha256Hasher> hasher_;  // only with an expected digest
  bool finished_ = false;
};

}  // namespace walnut
