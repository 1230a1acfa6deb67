#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "config/config.h"
#include "config/setting_specs.h"
#include "pipeline/crypto/crypter.h"

namespace walnut {

// libsodium encryption's settings (WALG_LIBSODIUM_KEY, _PATH, _TRANSFORM), each with its status.
std::span<const SettingSpec> SodiumSettingSpecs();

// How to give libsodium's key, for messages.
inline constexpr std::string_view kSodiumKeyHint =
    "set WALG_LIBSODIUM_KEY or WALG_LIBSODIUM_KEY_PATH";

// Whether the settings ask for libsodium encryption (a key or a key file is set).
bool SodiumConfigured(const Config& config);

// The crypter for the configured key. Throws kInvalidArgument naming the setting for a bad key, a
// key file that cannot be read, or both a key and a key file; never the key material.
std::shared_ptr<const Crypter> MakeSodiumCrypter(const Config& config);

}  // namespace walnut
