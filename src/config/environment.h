#pragma once

#include <functional>
#include <map>
#include <string>

namespace walnut {

// A snapshot of environment variables: name -> value. Config reads settings from one of these
// rather than from getenv, so tests can pass a fake environment.
using Environment = std::map<std::string, std::string, std::less<>>;

// The process environment now (environ). Not thread-safe against concurrent setenv.
Environment ProcessEnvironment();

}  // namespace walnut
