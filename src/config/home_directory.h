#pragma once

#include <string>

#include "config/environment.h"

namespace walnut {

// The user's home directory: $HOME of `env`, else the effective user's passwd entry; "" when
// neither names one.
std::string HomeDirectory(const Environment& env);

}  // namespace walnut
