#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/secret_string.h"

namespace walnut {

// Keys from the user's own GnuPG keyring, for WAL-G's deprecated WALG_GPG_KEY_ID (and WAL-E's
// WALE_GPG_KEY_ID): as WAL-G does, `gpg` from PATH is asked to export them, in its default home
// (GNUPGHOME or ~/.gnupg).

// `gpg --batch --armor --export <key_id>`: the public keys, for uploads. Throws kInvalidArgument
// naming `setting` when gpg fails or exports nothing (with gpg's first line of explanation).
std::string ExportGpgPublicKeys(const std::string& key_id, std::string_view setting);

// `gpg --batch --armor --export-secret-keys <key_id>`, for downloads. gpg 2.1 and later ask for
// the passphrase of a protected key to export it: given `passphrase`, it is handed to gpg on its
// standard input (--pinentry-mode loopback), never on the command line; without it gpg-agent must
// have it cached. The export keeps the key's protection. Throws as ExportGpgPublicKeys.
SecretString ExportGpgSecretKeys(const std::string& key_id,
                                 const std::optional<SecretString>& passphrase,
                                 std::string_view setting);

}  // namespace walnut
