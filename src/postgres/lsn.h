#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace walnut::pg {

// A position in the write-ahead log (XLogRecPtr).
using Lsn = uint64_t;

// Parses PostgreSQL's text form "16/B374D848". Throws kInvalidArgument naming the text.
Lsn ParseLsn(std::string_view text);

// PostgreSQL's text form: upper-case hex, "%X/%X".
std::string FormatLsn(Lsn lsn);

}  // namespace walnut::pg
