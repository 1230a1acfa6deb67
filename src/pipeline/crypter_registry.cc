#include "pipeline/crypter_registry.h"

#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error.h"
#include "pipeline/crypto/pgp_settings.h"
#include "pipeline/crypto/sodium_settings.h"
#include "pipeline/crypto/walg_crypters_not_yet.h"

namespace walnut {
namespace {

constexpr CrypterEntry kCrypters[] = {
    {"libsodium", kSodiumKeyHint, &SodiumSettingSpecs, &SodiumConfigured, &MakeSodiumCrypter},
    {"openpgp", kPgpKeyHint, &PgpSettingSpecs, &PgpConfigured, &MakePgpCrypter},
};

}  // namespace

std::span<const CrypterEntry> Crypters() { return kCrypters; }

std::vector<std::span<const SettingSpec>> CrypterSettingSpecLists() {
  std::vector<std::span<const SettingSpec>> lists;
  for (const CrypterEntry& entry : kCrypters) lists.push_back(entry.settings());
  lists.push_back(CryptersNotYetSettingSpecs());
  return lists;
}

std::string KeySettingsHint(std::string_view crypter_name) {
  for (const CrypterEntry& entry : kCrypters) {
    if (entry.name == crypter_name) return std::string(entry.key_hint);
  }
  return fmt::format("this Walnut cannot decrypt {}: use the tool that wrote it", crypter_name);
}

std::string AnyKeySettingsHint() {
  if (std::size(kCrypters) == 1) return std::string(kCrypters[0].key_hint);
  std::vector<std::string> hints;
  for (const CrypterEntry& entry : kCrypters) {
    hints.push_back(fmt::format("{} ({})", entry.key_hint, entry.name));
  }
  return fmt::format("{}", fmt::join(hints, ", or "));
}

std::string EncryptedWithoutKeyMessage(std::string_view object, std::string_view crypter_name) {
  return fmt::format("{}: the object is encrypted ({}); {}", object, crypter_name,
                     KeySettingsHint(crypter_name));
}

std::shared_ptr<const Crypter> LoadCrypter(const Config& config) {
  const CrypterEntry* chosen = nullptr;
  for (const CrypterEntry& entry : kCrypters) {
    if (!entry.configured(config)) continue;
    if (chosen != nullptr) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("both {} and {} encryption are configured; configure one",
                              chosen->name, entry.name));
    }
    chosen = &entry;
  }
  return chosen == nullptr ? nullptr : chosen->make(config);
}

}  // namespace walnut
