#pragma once

#include <string_view>

namespace walnut {

// WAL-G's --version layout: "<version>\t<git revision>\t<build date>\tPostgreSQL".
std::string_view VersionString();

}  // namespace walnut
