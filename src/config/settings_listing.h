#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "config/setting_specs.h"

namespace walnut {

// One line of `walnut flags`: a setting, how to give it and what it is now.
struct SettingListing {
  std::string name;   // canonical name, e.g. "WALG_S3_PREFIX"
  std::string flag;   // "--walg-s3-prefix"
  std::string value;  // current value; "********" for a secret that is set; "" when unset
  SettingSource source = SettingSource::kUnset;
  std::string description;  // one line
  SettingStatus status = SettingStatus::kUndeclared;
  std::string status_note;  // why refused, or what is ignored; "" when implemented
};

// Every known setting in registry order, with its current value and where it came from. Secret
// values are never included, only the mask.
std::vector<SettingListing> ListSettings(const Config& config);

}  // namespace walnut
