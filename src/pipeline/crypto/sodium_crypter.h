#pragma once

#include "pipeline/crypto/crypter.h"
#include "pipeline/crypto/sodium_key.h"

namespace walnut {

// WAL-G's libsodium crypter (WALG_LIBSODIUM_KEY / WALG_LIBSODIUM_KEY_PATH): objects written here
// and by WAL-G decrypt with either tool. Thread-safe.
class SodiumCrypter : public Crypter {
 public:
  explicit SodiumCrypter(SodiumKey key);

  std::string_view Name() const override { return "libsodium"; }
  std::unique_ptr<Writer> WrapEncrypt(std::unique_ptr<Writer> next) const override;
  std::unique_ptr<Reader> WrapDecrypt(std::unique_ptr<Reader> next) const override;

 private:
  const SodiumKey key_;
};

}  // namespace walnut
