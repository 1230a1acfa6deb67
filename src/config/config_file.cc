#include "config/config_file.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "config/setting_specs.h"

namespace walnut {
namespace {

// A config file is a few kilobytes; the cap keeps a mistaken --config /dev/zero from eating memory.
constexpr size_t kMaxConfigFileSize = 4u << 20;

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string Extension(const std::string& path) {
  size_t slash = path.find_last_of('/');
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string ext = path.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

// A config file that cannot be read is a bad setting (exit 2), whatever the errno.
[[noreturn]] void ThrowConfigFileError(std::string_view what, const std::string& path, int err) {
  // A setting error (exit 2): the user fixes the path or its permissions. The message is the one
  // every failed system call gets.
  throw Error(ErrorCode::kInvalidArgument, SystemError(what, path, err).what());
}

std::string ReadWholeFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      throw Error(ErrorCode::kInvalidArgument, fmt::format("config file {} does not exist", path));
    }
    ThrowConfigFileError("cannot read config file", path, errno);
  }
  if (!S_ISREG(st.st_mode)) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("config file {} is not a regular file", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) ThrowConfigFileError("cannot open config file", path, errno);
  std::string text;
  char buffer[8192];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxConfigFileSize) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("config file {} is larger than {} bytes", path, kMaxConfigFileSize));
    }
  }
  if (in.bad()) ThrowConfigFileError("cannot read config file", path, errno);
  return text;
}

[[noreturn]] void ThrowSyntaxError(const std::string& path, std::string_view format, size_t line,
                                   size_t column, std::string_view what) {
  throw Error(ErrorCode::kInvalidArgument,
              fmt::format("config file {}: invalid {} at line {}, column {}{}{}", path, format,
                          line, column, what.empty() ? "" : ": ", what));
}

[[noreturn]] void ThrowNested(const std::string& path, std::string_view key) {
  throw Error(ErrorCode::kInvalidArgument,
              fmt::format("config file {}: {} must be a string, number or boolean", path, key));
}

// The safe part of a nlohmann parse error: "syntax error while parsing value - invalid literal",
// without the "; last read: '<text>'" tail that quotes the file.
std::string JsonErrorKind(std::string_view what) {
  size_t at = what.find("parse error");
  if (at == std::string_view::npos) return "";
  size_t colon = what.find(": ", at);
  if (colon == std::string_view::npos) return "";
  std::string_view kind = what.substr(colon + 2);
  kind = kind.substr(0, kind.find("; last read"));
  return std::string(kind);
}

// viper's cast.ToString of a float64: no exponent, shortest form ("16", "1.5").
std::string FormatNumber(double d) {
  if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 1e18) {
    return fmt::format("{}", static_cast<int64_t>(d));
  }
  return fmt::format("{}", d);
}

bool WantsJson(std::string_view key) {
  const SettingSpec* spec = FindSettingSpec(key);
  return spec == nullptr || spec->kind == SettingKind::kJson;
}

void ParseJson(const std::string& path, const std::string& text, ConfigFileValues& out) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // The library's message can quote the text it choked on (a secret, maybe): report only where.
    size_t pos = std::min(e.byte == 0 ? size_t{0} : e.byte - 1, text.size());
    auto pos_it = text.begin() + static_cast<std::ptrdiff_t>(pos);
    size_t line = 1 + static_cast<size_t>(std::count(text.begin(), pos_it, '\n'));
    size_t last_newline = pos == 0 ? std::string::npos : text.rfind('\n', pos - 1);
    size_t column = last_newline == std::string::npos ? pos + 1 : pos - last_newline;
    ThrowSyntaxError(path, "JSON", line, column, JsonErrorKind(e.what()));
  }
  if (!doc.is_object()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("config file {}: expected a JSON object of \"SETTING\": value", path));
  }
  for (const auto& [raw_key, value] : doc.items()) {
    std::string key = Upper(raw_key);
    if (value.is_null()) continue;
    if (value.is_string()) {
      out.values[key] = value.get<std::string>();
    } else if (value.is_boolean()) {
      out.values[key] = value.get<bool>() ? "true" : "false";
    } else if (value.is_number_integer() || value.is_number_unsigned()) {
      out.values[key] = value.dump();
    } else if (value.is_number_float()) {
      out.values[key] = FormatNumber(value.get<double>());
    } else if (WantsJson(key)) {
      out.values[key] = value.dump();
    } else {
      ThrowNested(path, key);
    }
  }
}

nlohmann::json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& entry : node)
        object[entry.first.as<std::string>()] = YamlToJson(entry.second);
      return object;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& element : node) array.push_back(YamlToJson(element));
      return array;
    }
    case YAML::NodeType::Scalar:
      return node.Scalar();
    default:
      return nullptr;
  }
}

void AddYamlEntry(const std::string& path, const YAML::Node& name, const YAML::Node& value,
                  ConfigFileValues& out) {
  if (!name.IsScalar()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("config file {}: setting names must be plain text (line {})", path,
                            name.Mark().line + 1));
  }
  std::string key = Upper(name.Scalar());
  if (!value.IsDefined() || value.IsNull()) return;
  if (value.IsScalar()) {
    out.values[key] = value.Scalar();
  } else if (WantsJson(key)) {
    out.values[key] = YamlToJson(value).dump();
  } else {
    ThrowNested(path, key);
  }
}

void ParseYaml(const std::string& path, const std::string& text, ConfigFileValues& out) {
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    // yaml-cpp's messages are fixed phrases ("illegal map value"), never the file's text.
    ThrowSyntaxError(path, "YAML", static_cast<size_t>(e.mark.line + 1),
                     static_cast<size_t>(e.mark.column + 1), e.msg);
  }
  if (doc.IsNull()) return;  // an empty file: no settings
  if (!doc.IsMap()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("config file {}: expected a YAML map of SETTING: value", path));
  }
  try {
    for (const auto& entry : doc) AddYamlEntry(path, entry.first, entry.second, out);
  } catch (const YAML::Exception& e) {
    ThrowSyntaxError(path, "YAML", static_cast<size_t>(e.mark.line + 1),
                     static_cast<size_t>(e.mark.column + 1), e.msg);
  }
}

nlohmann::json TomlToJson(const toml::node& node) {
  if (const toml::table* table = node.as_table()) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& [key, value] : *table) object[std::string(key.str())] = TomlToJson(value);
    return object;
  }
  if (const toml::array* array = node.as_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const toml::node& element : *array) out.push_back(TomlToJson(element));
    return out;
  }
  if (auto text = node.value<std::string>(); text && node.is_string()) return *text;
  if (node.is_integer()) return node.value<int64_t>().value_or(0);
  if (node.is_floating_point()) return node.value<double>().value_or(0.0);
  if (node.is_boolean()) return node.value<bool>().value_or(false);
  // Dates and times: as TOML writes them (viper's cast would make a Go time string of them).
  std::ostringstream text;
  node.visit([&](const auto& leaf) { text << leaf; });
  return text.str();
}

void ParseToml(const std::string& path, const std::string& text, ConfigFileValues& out) {
  toml::table doc;
  try {
    doc = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    // toml++'s descriptions can quote the text it choked on (a secret, maybe): report only where.
    ThrowSyntaxError(path, "TOML", e.source().begin.line, e.source().begin.column, "");
  }
  for (const auto& [raw_key, value] : doc) {
    std::string key = Upper(raw_key.str());
    if (value.is_string()) {
      out.values[key] = *value.value<std::string>();
    } else if (value.is_boolean()) {
      out.values[key] = *value.value<bool>() ? "true" : "false";
    } else if (value.is_integer()) {
      out.values[key] = fmt::format("{}", *value.value<int64_t>());
    } else if (value.is_floating_point()) {
      out.values[key] = FormatNumber(*value.value<double>());
    } else if (WantsJson(key)) {
      out.values[key] = TomlToJson(value).dump();
    } else if (value.is_table() || value.is_array()) {
      ThrowNested(path, key);
    } else {
      out.values[key] = TomlToJson(value).get<std::string>();
    }
  }
}

}  // namespace

ConfigFileValues ReadConfigFile(const std::string& path) {
  std::string ext = Extension(path);
  std::string text = ReadWholeFile(path);
  ConfigFileValues out;
  out.path = path;
  if (ext == "json") {
    ParseJson(path, text, out);
  } else if (ext == "toml") {
    ParseToml(path, text, out);
  } else {
    ParseYaml(path, text, out);
  }
  return out;
}

std::optional<std::string> FindDefaultConfigFile(std::string_view home_dir,
                                                 std::vector<std::string>& warnings) {
  if (home_dir.empty()) return std::nullopt;
  // viper's SupportedExts order; JSON, TOML and YAML are read (no HCL, properties, env or ini).
  static constexpr std::pair<std::string_view, bool> kExtensions[] = {
      {"json", true},        {"toml", true},    {"yaml", true},  {"yml", true},
      {"properties", false}, {"props", false},  {"prop", false}, {"hcl", false},
      {"tfvars", false},     {"dotenv", false}, {"env", false},  {"ini", false},
  };
  std::string base(home_dir);
  if (base.back() != '/') base.push_back('/');
  base += ".walg.";
  for (const auto& [ext, supported] : kExtensions) {
    std::string candidate = base + std::string(ext);
    struct stat st {};
    if (::stat(candidate.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (supported) return candidate;
    warnings.push_back(
        fmt::format("config file {} is ignored: walnut reads only JSON, TOML and YAML config files",
                    candidate));
  }
  return std::nullopt;
}

}  // namespace walnut
