#include "config/setting_flags.h"

#include <string_view>

#include <fmt/format.h>

#include "common/error.h"
#include "config/setting_specs.h"
#include "config/setting_values.h"

namespace walnut {

SettingFlags ExtractSettingFlags(std::vector<std::string>& args) {
  SettingFlags flags;
  std::vector<std::string> kept;
  kept.reserve(args.size());

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      // The end of options: the rest are operands, whatever they look like.
      kept.insert(kept.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (arg.size() <= 2 || arg.compare(0, 2, "--") != 0) {
      kept.push_back(arg);
      continue;
    }
    std::string_view body = std::string_view(arg).substr(2);
    size_t equals = body.find('=');
    std::string_view flag = body.substr(0, equals);
    std::optional<std::string> inline_value;
    if (equals != std::string_view::npos) inline_value = std::string(body.substr(equals + 1));

    bool is_config = flag == "config";
    FlagMatch match = is_config ? FlagMatch{} : FindSettingSpecByFlag(flag);
    if (!is_config && match.spec == nullptr) {
      kept.push_back(arg);  // a command flag, or an unknown one for the command parser to reject
      continue;
    }

    std::string value;
    if (inline_value) {
      value = std::move(*inline_value);
    } else if (!is_config && match.spec->kind == SettingKind::kBool) {
      // A bare bool flag means true; "--flag false" still works because a bool word is taken.
      bool next_is_bool = i + 1 < args.size() && ParseSettingBool(args[i + 1]).has_value();
      value = next_is_bool ? args[++i] : "true";
    } else if (i + 1 < args.size() && args[i + 1] != "--") {
      value = args[++i];
    } else {
      throw Error(
          ErrorCode::kInvalidArgument,
          fmt::format("flag --{} needs a value: --{}=VALUE or --{} VALUE", flag, flag, flag));
    }

    if (is_config) {
      flags.config_path = std::move(value);
    } else {
      flags.values[std::string(match.name)] = std::move(value);
    }
  }
  args = std::move(kept);
  return flags;
}

}  // namespace walnut
