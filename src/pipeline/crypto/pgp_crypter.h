#pragma once

#include <exception>
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
// Thread-safe.
class PgpCrypter : public Crypter {
 public:
  // `passphrase` (WALG_PGP_KEY_PASSPHRASE) is checked on the first decryption, not here: a push
  // with a secret keyring never needs it. `passphrase_setting` names it in messages.
  PgpCrypter(pgp::PgpKeyring keys, std::optional<SecretString> passphrase,
             std::string passphrase_setting);

  std::string_view Name() const override { return "openpgp"; }
  std::unique_ptr<Writer> WrapEncrypt(std::unique_ptr<Writer> next) const override;
  // Throws kInvalidArgument when the keyring cannot decrypt: only public keys, a protected key
  // without WALG_PGP_KEY_PASSPHRASE, or a passphrase that does not unlock it.
  std::unique_ptr<Reader> WrapDecrypt(std::unique_ptr<Reader> next) const override;

 private:
  // The keyring with its decryption keys unlocked, made on the first call (the passphrase's
  // key derivation is deliberately slow) and kept; a failure is kept and thrown every time.
  std::shared_ptr<const pgp::PgpKeyring> DecryptionKeys() const;

  const std::shared_ptr<const pgp::PgpKeyring> keys_;
  const std::optional<SecretString> passphrase_;
  const std::string passphrase_setting_;
  mutable Mutex mu_;
  mutable std::shared_ptr<const pgp::PgpKeyring> unlocked_ GUARDED_BY(mu_);
  mutable std::exception_ptr unlock_failure_ GUARDED_BY(mu_);
};

}  // namespace walnut
