#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/bytes.h"
#include "common/secret_string.h"

// The one place that speaks librnp's C API (Debian's librnp0, loaded with dlopen on first use so
// that processes without OpenPGP do not load it and Botan). Everything else sees PgpKeyring and
// the two synchronous stream functions below.

namespace walnut::pgp {

// A set of OpenPGP keys (public, or public and secret), parsed once and kept as key packets.
// Copyable; immutable; thread-safe. Secret key material is wiped when the keyring is destroyed.
class PgpKeyring {
 public:
  // Parses `material`: one or more keys, ASCII-armoured or binary, as gpg --export(-secret-keys)
  // writes them. `source` names where the keys came from in messages ("WALG_PGP_KEY_PATH
  // /etc/wal-g/key.asc"). Throws kInvalidArgument naming `source` when it holds no key.
  static PgpKeyring Load(std::string_view material, std::string_view source);

  const std::string& source() const { return source_; }
  // The 16-hex-digit ids of the primary keys, for messages.
  const std::vector<std::string>& primary_key_ids() const { return primary_key_ids_; }
  // The ids of the keys that can decrypt (encryption-capable, with their secret part): the ids
  // an OpenPGP message names as its recipients.
  const std::vector<std::string>& decryption_key_ids() const { return decryption_key_ids_; }
  // Whether any key that can decrypt (an encryption-capable key with its secret part) is here.
  bool has_decryption_key() const { return has_decryption_key_; }
  // Whether such a key is protected by a passphrase.
  bool decryption_key_protected() const { return decryption_key_protected_; }

  // A copy whose encryption-capable secret keys no longer need a passphrase, for decrypting
  // without asking again. Throws kInvalidArgument naming `passphrase_setting` when the
  // passphrase does not unlock them. REQUIRES: has_decryption_key().
  PgpKeyring Unlocked(const SecretString& passphrase, std::string_view passphrase_setting) const;

 private:
  friend class RnpSession;
  PgpKeyring() = default;
  // Load and Unlocked, on the calling (quiet) thread.
  static PgpKeyring LoadHere(std::string_view material, std::string_view source);
  PgpKeyring UnlockedHere(const SecretString& passphrase,
                          std::string_view passphrase_setting) const;

  std::string source_;
  SecretString packets_;        // every key, binary, as parsed (secret parts as given)
  std::string public_packets_;  // the public keys only: all an upload needs
  std::vector<std::string> primary_key_ids_;
  std::vector<std::string> decryption_key_ids_;
  bool has_decryption_key_ = false;
  bool decryption_key_protected_ = false;
};

// librnp 0.16 prints its internal diagnostics ("[init_encrypted_src() ...] failed to obtain
// decrypting key") to stderr, unconditionally, which would break Walnut's one-line errors. Every
// librnp call therefore runs on a thread started here: it gets a private copy of the file
// descriptor table (unshare(CLONE_FILES)) in which every descriptor is closed but Botan's random
// device, and descriptor 2 is /dev/null. Such a thread can do no I/O on other threads'
// descriptors: it only computes, and hands bytes to and from other threads. If the kernel
// refuses the unshare, `fn` still runs, with librnp's diagnostics on stderr.
std::thread QuietThread(std::function<void()> fn);

// Pulls bytes into its argument; returns how many, 0 at the end. May throw.
using PullBytes = std::function<size_t(ByteSpan)>;
// Takes bytes. May throw.
using PushBytes = std::function<void(ConstByteSpan)>;

// REQUIRES (Encrypt and Decrypt): called on a QuietThread.
// Encrypts everything `pull` gives into one binary OpenPGP message pushed through `push`, as
// WAL-G (go-crypto's openpgp.Encrypt) writes it: a public-key encrypted session key for every
// primary key of `recipients` (its encryption subkey), AES-256, an integrity-protected (SEIPD
// with MDC) literal data packet, no compression and no signature. Runs until `pull` returns 0.
// Memory stays bounded: librnp streams with partial-length packets. An exception from `pull` or
// `push` is rethrown as is; librnp's own failures are kInvalidArgument (a key that cannot
// encrypt) or kInternal.
void Encrypt(const PgpKeyring& recipients, const PullBytes& pull, const PushBytes& push);

// Decrypts one OpenPGP message (binary or armoured; compressed or not, as gpg writes) from `pull`
// into `push`. Returns only once the whole message is authenticated (the MDC checked); the bytes
// pushed before a failure must be discarded. Throws kCorruption for a message that is not for
// any key of `keys` (naming the keys it is for), damaged or truncated; an exception from `pull`
// or `push` is rethrown as is. Bytes after the end of a complete message are not looked at
// (librnp stops there, as WAL-G's go-crypto does; gpg calls them a manipulation).
// REQUIRES: `keys` has its decryption keys unlocked (PgpKeyring::Unlocked) when protected.
void Decrypt(const PgpKeyring& keys, const PullBytes& pull, const PushBytes& push);

}  // namespace walnut::pgp
