#pragma once

#include <string>
#include <string_view>

namespace walnut {

// `text` as one single-quoted POSIX shell word: each ' becomes '\''. sh, bash and zsh read it back
// as `text` byte for byte (a line feed included), so a path or a setting can be put in a command
// line (restore_command, a completion script) whatever it holds.
std::string ShellQuote(std::string_view text);

}  // namespace walnut
