#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace walnut {

// The longest piece of stored content an error message quotes by default.
inline constexpr size_t kExcerptBytes = 64;

// Stored bytes made safe to quote in a one-line message: printable ASCII stays as it is, a
// backslash becomes "\\", every other byte (control characters, escape sequences that would drive
// a terminal, newlines that would split the line, bytes of damaged or non-UTF-8 text) becomes
// "\xNN"; at most `max_bytes` of the input are shown, followed by "... (N bytes)" when more.
std::string Excerpt(std::string_view bytes, size_t max_bytes = kExcerptBytes);

}  // namespace walnut
