#include "io/digest.h"

// SHA256_Init and friends are deprecated since OpenSSL 3.0 (see Sha256Hasher below).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "common/error.h"
#include "common/hex.h"

namespace walnut {

std::string Digest::Hex() const { return HexEncode(std::as_bytes(std::span(sha256))); }

Digest Digest::Of(ConstByteSpan data) {
  Sha256Hasher hasher;
  hasher.Update(data);
  return hasher.Finish();
}

// The low-level SHA256_* functions, deprecated in OpenSSL 3 but kept by it, run the same assembly
// as EVP without EVP's implicit provider fetch, which loads openssl.cnf and sets up every
// algorithm of the default provider: 2 MiB of resident memory in each wal-push and wal-fetch.
Sha256Hasher::Sha256Hasher() : ctx_(std::make_unique<SHA256_CTX>()) {
  if (SHA256_Init(ctx_.get()) != 1) {
    throw Error(ErrorCode::kInternal, "sha-256: cannot initialise the openssl digest");
  }
}

Sha256Hasher::~Sha256Hasher() = default;

void Sha256Hasher::Update(ConstByteSpan data) {
  if (data.empty()) return;
  if (SHA256_Update(ctx_.get(), data.data(), data.size()) != 1) {
    throw Error(ErrorCode::kInternal, "sha-256: openssl digest update failed");
  }
  size_ += data.size();
}

Digest Sha256Hasher::Finish() {
  Digest digest;
  digest.size = size_;
  static_assert(std::tuple_size_v<decltype(digest.sha256)> == SHA256_DIGEST_LENGTH);
  if (SHA256_Final(digest.sha256.data(), ctx_.get()) != 1) {
    throw Error(ErrorCode::kInternal, "sha-256: openssl digest finalisation failed");
  }
  return digest;
}

const Digest& DigestResult::get() const {
  if (!digest_) {
    throw Error(
        ErrorCode::kInternal,
        "digest requested before its stream completed (close the writer or read to the end)");
  }
  return *digest_;
}

}  // namespace walnut
