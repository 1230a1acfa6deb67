#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace walnut {

// Settings given on the command line, as WAL-G's hidden per-setting flags.
struct SettingFlags {
  // Setting name as the flag spelled it (canonical or alias, e.g. "WALE_S3_PREFIX") -> value.
  // A flag given twice keeps the last value, as pflag does.
  std::map<std::string, std::string, std::less<>> values;
  // --config FILE / --config=FILE: the config file to read instead of the default search.
  std::optional<std::string> config_path;
};

// Removes the setting flags from `args` (the arguments after the program name) and returns them,
// so that the command parser (CLI11) sees only command flags. Recognised:
//   --<setting>=VALUE and --<setting> VALUE, where <setting> is a known setting name or alias in
//     lower case with '_' -> '-' (--walg-s3-prefix, --wale-s3-prefix, --pghost, ...);
//   a bool setting given bare (--pg-ready-rename) means true; it takes the next argument as its
//     value only when that argument is a bool ("true", "false", "1", "0", ...);
//   --config FILE and --config=FILE.
// Everything else, including unknown --walg-... flags (the command parser rejects them), is left
// in place, in order. Nothing after a "--" argument is touched.
// Throws kInvalidArgument naming the flag when a setting flag has no value.
SettingFlags ExtractSettingFlags(std::vector<std::string>& args);

}  // namespace walnut
