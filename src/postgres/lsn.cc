#include "postgres/lsn.h"

#include <charconv>

#include <fmt/format.h>

#include "common/error.h"

namespace walnut::pg {
namespace {

bool ParseHex32(std::string_view text, uint32_t& value) {
  if (text.empty() || text.size() > 8) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

Lsn ParseLsn(std::string_view text) {
  size_t slash = text.find('/');
  uint32_t high = 0;
  uint32_t low = 0;
  if (slash == std::string_view::npos || !ParseHex32(text.substr(0, slash), high) ||
      !ParseHex32(text.substr(slash + 1), low)) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not an LSN (expected hex 'X/Y', as 16/B374D848)", text));
  }
  return (static_cast<Lsn>(high) << 32) | low;
}

std::string FormatLsn(Lsn lsn) {
  return fmt::format("{:X}/{:X}", static_cast<uint32_t>(lsn >> 32), static_cast<uint32_t>(lsn));
}

}  // namespace walnut::pg
