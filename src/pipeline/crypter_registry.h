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
  std::string_view name;  // "libsodium"
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

// The configured crypter, or null when no encryption is configured. Throws kInvalidArgument when
// two encryptions are configured (WAL-G would silently pick one) or a setting is bad.
std::shared_ptr<const Crypter> LoadCrypter(const Config& config);

}  // namespace walnut
