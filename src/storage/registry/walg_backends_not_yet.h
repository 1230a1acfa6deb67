#pragma once

#include <span>

#include "config/setting_specs.h"

namespace walnut {

// The settings of the storages WAL-G has and Walnut does not have yet. Their prefix settings are
// refused (nothing may be stored somewhere else than the user asked); the others are only read
// with their prefix, so they are accepted with a warning. A backend that gets built moves its
// list into its own folder.
std::span<const SettingSpec> OssSettingSpecs();
std::span<const SettingSpec> SwiftSettingSpecs();

}  // namespace walnut
