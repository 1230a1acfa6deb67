#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/mutex.h"
#include "common/secret_string.h"
#include "pipeline/crypto/crypter.h"
#include "pipeline/crypto/pgp_rnp.h"

namespace walnut {

// WAL-G's OpenPGP crypter (WALG_PGP_KEY / WALG_PGP_KEY_PATH, WALG_PGP_KEY_PASSPHRASE): uploads
// are binary OpenPGP messages to every key of the keyring (its public part suffices), downloads
// are decrypted with its secret keys. gpg decrypts what it writes, and it decrypts what gpg and
// WAL-G write. Object names are unchanged (WAL-G adds no extension for encryption).
//
// librnp's operations are synchronous loops over callbacks, while a Writer is pushed to and a
// Reader pulled from; each stream therefore runs its librnp operation on a thread of its own,
// handing buffers across (never more than librnp's own bounded buffers plus one of the caller's).
// One exception to Crypter's contract: bytes appended after a complete OpenPGP message are
// ignored (see pgp::Decrypt); the SHA-256 Walnut records for its own objects catches them there.
// Thread-safe.
class PgpCrypter : public Crypter {
 public:
  // Makes the keys; throws as pgp::PgpKeyring::Load (kInvalidArgument naming the setting).
  using KeyringLoader = std::function<pgp::PgpKeyring()>;

  // One keyring for both directions (WALG_PGP_KEY, WALG_PGP_KEY_PATH). `passphrase`
  // (WALG_PGP_KEY_PASSPHRASE) is checked on the first decryption, not here: a push with a secret
  // keyring never needs it. `passphrase_setting` names it in messages.
  PgpCrypter(pgp::PgpKeyring keys, std::optional<SecretString> passphrase,
             std::string passphrase_setting);
  // Keys made when first needed, the public ones for the first encryption and the secret ones
  // for the first decryption (the gpg keyring of WALG_GPG_KEY_ID: WAL-G exports each only when
  // it needs it). A loader's failure is kept and thrown by every later stream.
  PgpCrypter(KeyringLoader encryption_keys, KeyringLoader decryption_keys,
             std::optional<SecretString> passphrase, std::string passphrase_setting);

  std::string_view Name() const override { return "openpgp"; }
  std::unique_ptr<Writer> WrapEncrypt(std::unique_ptr<Writer> next) const override;
  // Throws kInvalidArgument when the keys cannot be made (WALG_GPG_KEY_ID).
  // Throws kInvalidArgument when the keyring cannot decrypt: only public keys, a protected key
  // without WALG_PGP_KEY_PASSPHRASE, or a passphrase that does not unlock it.
  std::unique_ptr<Reader> WrapDecrypt(std::unique_ptr<Reader> next) const override;

 private:
  // The keyring with its decryption keys unlocked, made on the first call (the passphrase's
  // key derivation is deliberately slow) and kept; a failure is kept and thrown every time.
  std::shared_ptr<const pgp::PgpKeyring> DecryptionKeys() const;
  // The keys to encrypt to, made on the first call and kept (a failure too).
  std::shared_ptr<const pgp::PgpKeyring> EncryptionKeys() const;

  const KeyringLoader encryption_loader_;
  const KeyringLoader decryption_loader_;
  const std::optional<SecretString> passphrase_;
  const std::string passphrase_setting_;
  mutable Mutex mu_;
  mutable std::shared_ptr<const pgp::PgpKeyring> encryption_keys_ GUARDED_BY(mu_);
  mutable std::exception_ptr encryption_failure_ GUARDED_BY(mu_);
  mutable std::shared_ptr<const pgp::PgpKeyring> unlocked_ GUARDED_BY(mu_);
  mutable std::exception_ptr unlock_failure_ GUARDED_BY(mu_);
};

}  // namespace walnut
