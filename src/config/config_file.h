#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace walnut {

// The settings of a WAL-G config file (.walg.json / .walg.toml / .walg.yaml), as viper would read
// them.
struct ConfigFileValues {
  std::string path;
  // Key in upper case (viper keys are case-insensitive) -> value as text: strings as they are,
  // numbers and booleans formatted as viper's cast.ToString does ("16", "1.5", "true"), nested
  // objects/arrays of JSON-valued settings (WALG_FAILOVER_STORAGES) as compact JSON. Keys with a
  // null value are left out. Unknown keys are kept; the caller warns about them.
  std::map<std::string, std::string, std::less<>> values;
};

// Reads and parses the config file at `path`. The format follows the extension: .json is JSON,
// .toml TOML, .yaml/.yml YAML, anything else is read as YAML (which also accepts JSON).
// Throws kInvalidArgument naming the file (and the line and column for a syntax error, but never
// text from the file, which may hold secrets) when it does not exist, cannot be read, is not a
// regular file, does not parse, its top level is not a map, or a setting has a nested value where
// text is expected.
ConfigFileValues ReadConfigFile(const std::string& path);

// WAL-G's default config file: $HOME/.walg.<ext>, trying the extensions in viper's order. Returns
// the first .json/.toml/.yaml/.yml file that exists. A .walg file in a format Walnut does not read
// (HCL, properties, env, ini) adds a warning to `warnings` and is skipped.
std::optional<std::string> FindDefaultConfigFile(std::string_view home_dir,
                                                 std::vector<std::string>& warnings);

}  // namespace walnut
