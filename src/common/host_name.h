#pragma once

#include <string>

namespace walnut {

// This host's name (gethostname), "" when it cannot be read: the sentinel's hostname and the
// reports' "host".
std::string HostName();

}  // namespace walnut
