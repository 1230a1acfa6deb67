#include "pipeline/crypter_registry.h"

#include <fmt/format.h>

#include "common/error.h"
#include "pipeline/crypto/sodium_settings.h"
#include "pipeline/crypto/walg_crypters_not_yet.h"

namespace walnut {
namespace {

constexpr CrypterEntry kCrypters[] = {
    {"libsodium", &SodiumSettingSpecs, &SodiumConfigured, &MakeSodiumCrypter},
};

}  // namespace

std::span<const CrypterEntry> Crypters() { return kCrypters; }

std::vector<std::span<const SettingSpec>> CrypterSettingSpecLists() {
  std::vector<std::span<const SettingSpec>> lists;
  for (const CrypterEntry& entry : kCrypters) lists.push_back(entry.settings());
  lists.push_back(CryptersNotYetSettingSpecs());
  return lists;
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
