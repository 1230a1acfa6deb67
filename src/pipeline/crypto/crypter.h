#pragma once

#include <memory>
#include <string_view>

#include "io/reader.h"
#include "io/writer.h"

namespace walnut {

// Client-side encryption of stored objects (tars and WAL, never JSON metadata). An implementation
// holds only its key, so one instance serves every upload and download. Thread-safe.
class Crypter {
 public:
  virtual ~Crypter() = default;
  // The name WAL-G logs for this crypter ("libsodium").
  virtual std::string_view Name() const = 0;
  // A writer that encrypts what it is given into `next`; Close() writes the final chunk, then
  // closes `next`.
  virtual std::unique_ptr<Writer> WrapEncrypt(std::unique_ptr<Writer> next) const = 0;
  // A reader that decrypts `next`. Throws kCorruption for a wrong key, tampered, truncated or
  // over-long input: a stream that decrypts without error is complete and authentic.
  virtual std::unique_ptr<Reader> WrapDecrypt(std::unique_ptr<Reader> next) const = 0;
};

}  // namespace walnut
