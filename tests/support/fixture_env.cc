#include "support/fixture_env.h"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

namespace walnut::testing {

FixtureEnv::FixtureEnv(std::string_view what_is_missing, const char* override_variable,
                       std::string_view default_file, std::string_view how_to_get_it) {
  const char* file = std::getenv(override_variable);
  file_ = file != nullptr && *file != '\0' ? std::string(file) : std::string(default_file);
  std::ifstream in(file_);
  if (file_.empty() || !in) {
    throw std::runtime_error(fmt::format("{}: {} is missing; {}, or set {}", what_is_missing,
                                         file_.empty() ? "its env file" : file_, how_to_get_it,
                                         override_variable));
  }
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
      value = value.substr(1, value.size() - 2);
    }
    vars_[line.substr(0, eq)] = value;
  }
}

std::string FixtureEnv::Required(const std::string& name) const {
  auto it = vars_.find(name);
  if (it == vars_.end() || it->second.empty()) {
    throw std::runtime_error(fmt::format("{} lacks {}", file_, name));
  }
  return it->second;
}

std::string FixtureEnv::Optional(const std::string& name) const {
  auto it = vars_.find(name);
  return it == vars_.end() ? std::string() : it->second;
}

}  // namespace walnut::testing
