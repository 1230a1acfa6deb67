#pragma once

#include <string>

#include "config/config.h"

namespace walnut::drill {

// The settings the drill's restore_command needs, as a config file (JSON): every setting given
// explicitly (flag, environment, config file) except the PG* connection settings, the config
// path and the log file. Holds secrets (keys, passwords): written only to a 0600 file, never
// logged.
std::string EffectiveSettingsJson(const Config& config);

}  // namespace walnut::drill
