#pragma once

#include <map>
#include <string>
#include <string_view>

namespace walnut::testing {

// The variables a fixture's start script wrote to its DIR/env (NAME='value' lines, as the shell
// reads them), for the tests to find their server. `file` is the override in the environment
// variable `override_variable` when set, else `default_file`. Throws std::runtime_error
// ("<what_is_missing>: <file> is missing; <how_to_get_it>, or set <override_variable>") when it
// cannot be read: a missing server fails, never skips.
class FixtureEnv {
 public:
  FixtureEnv(std::string_view what_is_missing, const char* override_variable,
             std::string_view default_file, std::string_view how_to_get_it);

  // The value of `name`; throws std::runtime_error naming the file when it is absent or empty.
  std::string Required(const std::string& name) const;
  // The value of `name`, "" when absent.
  std::string Optional(const std::string& name) const;

 private:
  std::string file_;
  std::map<std::string, std::string> vars_;
};

}  // namespace walnut::testing
