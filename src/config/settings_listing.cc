#include "config/settings_listing.h"

#include "config/setting_specs.h"

namespace walnut {

std::vector<SettingListing> ListSettings(const Config& config) {
  constexpr std::string_view kMask = "********";
  std::vector<SettingListing> listing;
  for (const SettingSpec& spec : AllSettingSpecs()) {
    SettingListing item;
    item.name = std::string(spec.name);
    item.flag = "--" + ToFlagName(spec.name);
    item.source = config.Source(spec.name);
    std::optional<std::string> value = config.Get(spec.name);
    if (value) item.value = spec.secret ? std::string(kMask) : std::move(*value);
    item.description = std::string(spec.description);
    item.status = spec.status;
    item.status_note = std::string(spec.status_note);
    listing.push_back(std::move(item));
  }
  return listing;
}

}  // namespace walnut
