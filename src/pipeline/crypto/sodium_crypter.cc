#include "pipeline/crypto/sodium_crypter.h"

#include "pipeline/crypto/sodium_decrypt_reader.h"
#include "pipeline/crypto/sodium_encrypt_writer.h"
#include "pipeline/crypto/sodium_format.h"

namespace walnut {

SodiumCrypter::SodiumCrypter(SodiumKey key) : key_(std::move(key)) {
  sodium_format::EnsureSodiumInitialized();
}

std::unique_ptr<Writer> SodiumCrypter::WrapEncrypt(std::unique_ptr<Writer> next) const {
  return std::make_unique<SodiumEncryptWriter>(key_, std::move(next));
}

std::unique_ptr<Reader> SodiumCrypter::WrapDecrypt(std::unique_ptr<Reader> next) const {
  return std::make_unique<SodiumDecryptReader>(key_, std::move(next));
}

}  // namespace walnut
