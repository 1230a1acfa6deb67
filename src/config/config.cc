#include "config/config.h"

#include <cctype>

#include <fmt/format.h>
#include <stdlib.h>

#include "common/error.h"
#include "config/home_directory.h"
#include "config/setting_specs.h"
#include "config/setting_values.h"

namespace walnut {
namespace {

const SettingSpec& RequireSpec(std::string_view name) {
  const SettingSpec* spec = FindSettingSpec(name);
  if (spec == nullptr) {
    throw Error(ErrorCode::kInternal, fmt::format("setting {} is not registered", name));
  }
  return *spec;
}

// WAL-G's GetSetting trims trailing CR/LF (values pasted from files, CRLF env files).
std::string_view TrimLineEnd(std::string_view value) {
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.remove_suffix(1);
  return value;
}

template <typename Map>
std::optional<std::string_view> FindValue(const Map& values, std::string_view name) {
  auto it = values.find(name);
  if (it == values.end()) return std::nullopt;
  std::string_view value = TrimLineEnd(it->second);
  if (value.empty()) return std::nullopt;
  return value;
}

std::string JoinAccepted(const std::vector<std::string_view>& accepted) {
  return fmt::format("{}", fmt::join(accepted, ", "));
}

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

}  // namespace

std::string_view SettingSourceName(SettingSource source) {
  switch (source) {
    case SettingSource::kUnset:
      return "unset";
    case SettingSource::kDefault:
      return "default";
    case SettingSource::kFile:
      return "file";
    case SettingSource::kEnvironment:
      return "env";
    case SettingSource::kFlag:
      return "flag";
  }
  return "unset";
}

Config Config::Load(const SettingFlags& flags, const Environment& env) {
  std::vector<std::string> warnings;
  std::optional<std::string> path;
  if (flags.config_path && !flags.config_path->empty()) {
    path = flags.config_path;
  } else if (auto it = env.find("WALG_CONFIG_PATH"); it != env.end() && !it->second.empty()) {
    path = it->second;
  } else {
    path = FindDefaultConfigFile(HomeDirectory(env), warnings);
  }
  ConfigFileValues file;
  if (path) file = ReadConfigFile(*path);
  Config config(flags.values, env, std::move(file));
  config.warnings_.insert(config.warnings_.begin(), warnings.begin(), warnings.end());
  return config;
}

Config::Config(Values flags, const Environment& env, ConfigFileValues file)
    : file_path_(std::move(file.path)) {
  struct Layer {
    const Values* values;
    SettingSource source;
    std::string_view where;
  };
  std::string file_where = fmt::format("config file {}", file_path_);
  const Layer layers[] = {
      {&flags, SettingSource::kFlag, "flags"},
      {&env, SettingSource::kEnvironment, "the environment"},
      {&file.values, SettingSource::kFile, file_where},
  };

  for (const SettingSpec& spec : AllSettingSpecs()) {
    Resolved resolved;
    for (const Layer& layer : layers) {
      std::optional<std::string_view> winner;
      std::string_view winner_name;
      auto consider = [&](std::string_view name) {
        std::optional<std::string_view> value = FindValue(*layer.values, name);
        if (!value) return;
        if (!winner) {
          winner = value;
          winner_name = name;
        } else if (*value != *winner) {
          warnings_.push_back(
              fmt::format("{} is ignored: {} is also set in {} and takes precedence", name,
                          winner_name, layer.where));
        }
      };
      consider(spec.name);
      for (std::string_view alias : spec.aliases) consider(alias);
      if (winner && resolved.source == SettingSource::kUnset) {
        resolved = {std::string(*winner), layer.source, winner_name, {}};
      }
    }
    if (resolved.source == SettingSource::kUnset) {
      resolved.spelled = spec.name;
      if (spec.default_value) {
        resolved.value = std::string(*spec.default_value);
        resolved.source = SettingSource::kDefault;
      }
    }
    resolved_.emplace(spec.name, std::move(resolved));
  }

  // WAL-G warns about unknown keys in the file (CheckAllowedSettings). The environment is not
  // checked: it is shared with PostgreSQL and with other WAL-G builds (WALG_MYSQL_*, WALG_MONGO_*),
  // and archive_command would repeat the warning for every segment.
  for (const auto& [key, value] : file.values) {
    if (FindSettingSpec(key) != nullptr) continue;
    std::string_view suggestion = SuggestSettingName(key);
    warnings_.push_back(suggestion.empty() ? fmt::format("{} is unknown ({})", key, file_where)
                                           : fmt::format("{} is unknown ({}); did you mean {}?",
                                                         key, file_where, suggestion));
  }
}

const Config::Resolved& Config::Lookup(std::string_view name) const {
  const SettingSpec& spec = RequireSpec(name);
  const Resolved& r = resolved_.find(spec.name)->second;
  r.read.value.store(true, std::memory_order_relaxed);
  return r;
}

bool Config::WasRead(std::string_view name) const {
  const SettingSpec& spec = RequireSpec(name);
  return resolved_.find(spec.name)->second.read.value.load(std::memory_order_relaxed);
}

std::optional<std::string> Config::Get(std::string_view name) const {
  const Resolved& r = Lookup(name);
  if (r.source == SettingSource::kUnset) return std::nullopt;
  return r.value;
}

bool Config::IsExplicit(std::string_view name) const {
  SettingSource source = Lookup(name).source;
  return source != SettingSource::kUnset && source != SettingSource::kDefault;
}

SettingSource Config::Source(std::string_view name) const { return Lookup(name).source; }

std::string_view Config::SpelledName(std::string_view name) const { return Lookup(name).spelled; }

std::string Config::Describe(const Resolved& r) const {
  switch (r.source) {
    case SettingSource::kFile:
      return fmt::format("{} (config file {})", r.spelled, file_path_);
    case SettingSource::kFlag:
      return fmt::format("{} (flag --{})", r.spelled, ToFlagName(r.spelled));
    default:
      return std::string(r.spelled);
  }
}

void Config::ThrowInvalid(std::string_view name, std::string_view problem) const {
  throw Error(ErrorCode::kInvalidArgument, fmt::format("{}: {}", Describe(Lookup(name)), problem));
}

void Config::ThrowBadValue(std::string_view name, std::string_view expected) const {
  const Resolved& r = Lookup(name);
  if (RequireSpec(name).secret) ThrowInvalid(name, fmt::format("invalid value; {}", expected));
  ThrowInvalid(name, fmt::format("invalid value '{}'; {}", r.value, expected));
}

std::string Config::GetString(std::string_view name) const {
  const Resolved& r = Lookup(name);
  if (r.source == SettingSource::kUnset) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} is not set: set it in the environment, the config file or with "
                            "--{}",
                            r.spelled, ToFlagName(r.spelled)));
  }
  return r.value;
}

int64_t Config::GetInt(std::string_view name, int64_t min, int64_t max) const {
  std::string text = GetString(name);
  std::optional<int64_t> value = ParseSettingInt(text);
  if (!value || *value < min || *value > max) {
    ThrowBadValue(name, fmt::format("expected an integer from {} to {}", min, max));
  }
  return *value;
}

bool Config::GetBool(std::string_view name) const {
  std::optional<bool> value = ParseSettingBool(GetString(name));
  if (!value) ThrowBadValue(name, "expected true or false");
  return *value;
}

uint64_t Config::GetBytes(std::string_view name, uint64_t min, uint64_t max) const {
  std::optional<uint64_t> value = ParseSettingBytes(GetString(name));
  if (!value || *value < min || *value > max) {
    ThrowBadValue(name, fmt::format("expected a byte count from {} to {} (units such as KiB, MB, "
                                    "GiB are accepted)",
                                    min, max));
  }
  return *value;
}

std::chrono::nanoseconds Config::GetDuration(std::string_view name) const {
  std::optional<std::chrono::nanoseconds> value = ParseSettingDuration(GetString(name));
  if (!value || value->count() < 0) {
    ThrowBadValue(name, "expected a duration such as 30s, 5m or 1h30m (units ns, us, ms, s, m, h)");
  }
  return *value;
}

std::string Config::GetEnum(std::string_view name) const {
  const SettingSpec& spec = RequireSpec(name);
  std::string text = GetString(name);
  for (std::string_view accepted : spec.accepted) {
    if (EqualsNoCase(text, accepted)) return std::string(accepted);
  }
  const Resolved& r = Lookup(name);
  if (spec.secret) ThrowInvalid(name, "unknown value; accepted: " + JoinAccepted(spec.accepted));
  ThrowInvalid(
      name, fmt::format("unknown value '{}'; accepted: {}", r.value, JoinAccepted(spec.accepted)));
}

std::vector<std::pair<std::string, std::string>> Config::PgEnvironment() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const SettingSpec& spec : AllSettingSpecs()) {
    if (!spec.export_to_env) continue;
    const Resolved& r = Lookup(spec.name);
    if (r.source == SettingSource::kUnset || r.source == SettingSource::kEnvironment) continue;
    out.emplace_back(std::string(spec.name), r.value);
  }
  return out;
}

void Config::ExportPgEnvironment() const {
  for (const auto& [name, value] : PgEnvironment()) {
    if (::setenv(name.c_str(), value.c_str(), 1) != 0) {
      ThrowSystemError("cannot set environment variable", name);
    }
  }
}

}  // namespace walnut
