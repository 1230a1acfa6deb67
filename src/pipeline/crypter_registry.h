#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/setting_specs.h"
#include "pipeline/crypto/crypter.h"

namespace walnut {

// One client-side encryption: a row of the registry table (crypter_registry.cc). Adding one is a
// crypter under src/pipeline/crypto/ with its settings file, plus one row.
struct CrypterEntry {
  std::string_view name;  // "libsodium", as Crypter::Name() and the objects' record
  // How to give its key, for messages: "set WALG_LIBSODIUM_KEY or WALG_LIBSODIUM_KEY_PATH".
  std::string_view key_hint;
  std::span<const SettingSpec> (*settings)();
  // Whether the settings turn this encryption on.
  bool (*configured)(const Config& config);
  // The crypter; throws kInvalidArgument naming a bad setting.
  std::shared_ptr<const Crypter> (*make)(const Config& config);
};

// Every encryption Walnut has.
std::span<const CrypterEntry> Crypters();

// The settings of every encryption, those Walnut has and those it refuses.
std::vector<std::span<const SettingSpec>> CrypterSettingSpecLists();

// How to give the key of the encryption named `crypter_name` (a table row's hint; a generic
// sentence for a name Walnut does not know, such as one a newer version recorded).
std::string KeySettingsHint(std::string_view crypter_name);

// How to give a key of any encryption Walnut has, for an object that may or may not be
// encrypted (nothing recorded): one hint, or each with its encryption's name.
std::string AnyKeySettingsHint();

// The line for an object recorded as encrypted while no key is configured:
// "<object>: the object is encrypted (libsodium); set WALG_LIBSODIUM_KEY or ...".
std::string EncryptedWithoutKeyMessage(std::string_view object, std::string_view crypter_name);

// The configured crypter, or null when no encryption is configured. Throws kInvalidArgument when
// two encryptions are configured (WAL-G would silently pick one) or a setting is bad.
std::shared_ptr<const Crypter> LoadCrypter(const Config& config);

}  // namespace walnut
