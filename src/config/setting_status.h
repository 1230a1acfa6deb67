#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace walnut {

// Holds every given setting to its declared status (SettingSpec::status). A setting counts as
// given when it is set explicitly (a flag, the environment or the config file) to something other
// than its default: "WALG_S3_USE_LIST_OBJECTS_V1=false" asks for nothing walnut lacks.
// Throws kInvalidArgument for the first refused setting given, naming it (as the user spelled it,
// and where) with the reason and what to use instead. Returns one warning per warned setting
// given, naming it and what is ignored.
std::vector<std::string> CheckSettingStatuses(const Config& config);

}  // namespace walnut
