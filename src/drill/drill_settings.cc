#include "drill/drill_settings.h"

#include <string>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "config/setting_specs.h"

namespace walnut::drill {

std::string EffectiveSettingsJson(const Config& config) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::object();
  for (const SettingSpec& spec : AllSettingSpecs()) {
    // PG* settings are for connecting to the production server, which the drill never does; a
    // log file of the caller's may not be writable by PostgreSQL's user (wal-fetch's lines go to
    // the drill's server log instead).
    if (spec.export_to_env || spec.name == "WALG_CONFIG_PATH" ||
        spec.name == "WALG_LOG_DESTINATION") {
      continue;
    }
    if (!config.IsExplicit(spec.name)) continue;
    auto value = config.Get(spec.name);
    if (!value) continue;
    // restore_command runs in the data directory: a relative storage path would move.
    if (spec.name == "WALG_FILE_PREFIX" && !value->starts_with("/")) {
      char cwd[4096] = {};
      if (::getcwd(cwd, sizeof(cwd) - 1) != nullptr) *value = std::string(cwd) + "/" + *value;
    }
    doc[std::string(spec.name)] = *value;
  }
  return doc.dump(2) + "\n";
}

}  // namespace walnut::drill
