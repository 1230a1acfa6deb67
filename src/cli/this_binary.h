#pragma once

#include <string>

namespace walnut {

// The absolute path of the running executable (/proc/self/exe), for commands that make
// PostgreSQL run this same binary (restore_command). Throws Error when it cannot be read.
std::string ThisBinary();

// The current directory, for making relative paths absolute before they go into a command that
// runs elsewhere. Throws Error when it cannot be read.
std::string CurrentDirectory();

}  // namespace walnut
