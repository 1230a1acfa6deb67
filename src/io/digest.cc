#include "io/digest.h"

#include <openssl/evp.h>

#include "common/error.h"
#include "common/hex.h"

namespace walnut {

std::string Digest::Hex() const { return HexEncode(std::as_bytes(std::span(sha256))); }

Digest Digest::Of(ConstByteSpan data) {
  Sha256Hasher hasher;
  hasher.Update(data);
  return hasher.Finish();
}

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr)
    throw Error(ErrorCode::kInternal, "sha-256: cannot allocate a digest context");
  if (EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw Error(ErrorCode::kInternal, "sha-256: cannot initialise the openssl digest");
  }
}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(ctx_); }

void Sha256Hasher::Update(ConstByteSpan data) {
  if (data.empty()) return;
  if (EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1) {
    throw Error(ErrorCode::kInternal, "sha-256: openssl digest update failed");
  }
  size_ += data.size();
}

Digest Sha256Hasher::Finish() {
  Digest digest;
  digest.size = size_;
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_, digest.sha256.data(), &length) != 1 ||
      length != digest.sha256.size()) {
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
