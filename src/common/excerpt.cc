#include "common/excerpt.h"

#include <fmt/format.h>

namespace walnut {

std::string Excerpt(std::string_view bytes, size_t max_bytes) {
  std::string out;
  std::string_view shown = bytes.substr(0, max_bytes);
  out.reserve(shown.size() + 16);
  for (char c : shown) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
  }
  if (shown.size() < bytes.size()) out += fmt::format("... ({} bytes)", bytes.size());
  return out;
}

}  // namespace walnut
