#include "config/setting_status.h"

#include <cctype>

#include <fmt/format.h>

#include "common/error.h"
#include "config/setting_specs.h"
#include "config/setting_values.h"

namespace walnut {
namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Whether the value asks for something other than the default.
bool DiffersFromDefault(const SettingSpec& spec, std::string_view value) {
  if (!spec.default_value) return true;
  if (spec.kind == SettingKind::kBool) {
    std::optional<bool> given = ParseSettingBool(value);
    std::optional<bool> fallback = ParseSettingBool(*spec.default_value);
    return !given || given != fallback;
  }
  return !EqualsNoCase(value, *spec.default_value);
}

}  // namespace

std::vector<std::string> CheckSettingStatuses(const Config& config) {
  std::vector<std::string> warnings;
  for (const SettingSpec& spec : AllSettingSpecs()) {
    if (spec.status != SettingStatus::kRefused && spec.status != SettingStatus::kWarned) continue;
    if (!config.IsExplicit(spec.name)) continue;
    if (!DiffersFromDefault(spec, *config.Get(spec.name))) continue;
    if (spec.status == SettingStatus::kRefused) {
      config.ThrowInvalid(spec.name, spec.status_note);
    }
    warnings.push_back(
        fmt::format("{} is ignored: {}", config.SpelledName(spec.name), spec.status_note));
  }
  return warnings;
}

}  // namespace walnut
