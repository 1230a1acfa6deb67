#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "config/config.h"
#include "config/setting_specs.h"
#include "pipeline/crypto/crypter.h"

namespace walnut {

// OpenPGP encryption's settings (WALG_PGP_KEY, _PATH, _PASSPHRASE, and WALG_GPG_KEY_ID for a
// key of the user's gpg keyring), each with its status.
std::span<const SettingSpec> PgpSettingSpecs();

// How to give the OpenPGP key, for messages.
inline constexpr std::string_view kPgpKeyHint =
    "set WALG_PGP_KEY or WALG_PGP_KEY_PATH to the secret key, with WALG_PGP_KEY_PASSPHRASE if it "
    "has one";

// Whether the settings ask for OpenPGP encryption (a key, a key file or a gpg key id is set).
bool PgpConfigured(const Config& config);

// The crypter for the configured key. Throws kInvalidArgument naming the setting for a key file
// that cannot be read, text that holds no key, or both a key and a key file; never the key
// material or the passphrase.
std::shared_ptr<const Crypter> MakePgpCrypter(const Config& config);

}  // namespace walnut
