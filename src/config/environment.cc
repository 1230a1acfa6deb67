#include "config/environment.h"

#include <string_view>

#include <unistd.h>

extern char** environ;  // NOLINT: POSIX

namespace walnut {

Environment ProcessEnvironment() {
  Environment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view item(*entry);
    size_t equals = item.find('=');
    if (equals == std::string_view::npos || equals == 0) continue;
    // The first definition wins, as getenv() returns it.
    env.emplace(std::string(item.substr(0, equals)), std::string(item.substr(equals + 1)));
  }
  return env;
}

}  // namespace walnut
