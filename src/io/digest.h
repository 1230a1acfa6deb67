#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/bytes.h"

struct SHA256state_st;  // OpenSSL's SHA256_CTX

namespace walnut {

// The SHA-256 and length of a byte stream: what backup metadata records for each stored object and
// what restore checks again.
struct Digest {
  uint64_t size = 0;
  std::array<uint8_t, 32> sha256{};

  // Lowercase hex of sha256 (64 characters).
  std::string Hex() const;
  // The digest of `data` in one call.
  static Digest Of(ConstByteSpan data);

  friend bool operator==(const Digest&, const Digest&) = default;
};

// Incremental SHA-256 over OpenSSL's SHA256_* functions (the CPU's SHA extensions when present)
// that also counts bytes. Not thread-safe.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(ConstByteSpan data);
  // REQUIRES: called once; no Update() after it.
  Digest Finish();

 private:
  std::unique_ptr<SHA256state_st> ctx_;
  uint64_t size_ = 0;
};

// Where a hashing observer publishes its digest once its stream is complete. Shared, so that the
// caller keeps access after the observer moved into a chain. Read it only after the chain finished
// on whatever thread ran it (TaskGroup::Wait() orders the two). Not thread-safe.
class DigestResult {
 public:
  bool ready() const { return digest_.has_value(); }
  // Throws kInternal if the stream has not completed: a digest of half a stream must never be
  // mistaken for the digest of the object.
  const Digest& get() const;
  void Set(const Digest& digest) { digest_ = digest; }

 private:
  std::optional<Digest> digest_;
};

}  // namespace walnut
