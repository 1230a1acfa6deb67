#pragma once

#include <string>
#include <string_view>

#include "common/bytes.h"

namespace walnut {

// Lower-case hexadecimal of bytes ("00ff..."), as SigV4 and checksum listings write them.
std::string HexEncode(ConstByteSpan bytes);
inline std::string HexEncode(std::string_view raw) { return HexEncode(AsBytes(raw)); }

}  // namespace walnut
