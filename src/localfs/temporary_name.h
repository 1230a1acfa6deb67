#pragma once

#include <string>
#include <string_view>

namespace walnut {

// How Walnut names the temporary file that becomes `file_name` once complete (an atomic write):
// ".<file_name>.walnut-tmp-<16 hex digits>", hidden, random so that two writers never share one.
// Long names are shortened to stay below NAME_MAX. A crash can leave such a file behind; nothing
// ever reads it as a result.
std::string MakeTemporaryName(std::string_view file_name);

// Whether a directory entry is such a temporary file.
bool IsTemporaryName(std::string_view file_name);

}  // namespace walnut
