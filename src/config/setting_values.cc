#include "config/setting_values.h"

#include <array>
#include <cctype>
#include <limits>
#include <string>
#include <utility>

namespace walnut {
namespace {

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Reads leading digits into `value`; false on overflow. Consumes them from `s`.
bool TakeDigits(std::string_view& s, uint64_t& value, size_t& count) {
  value = 0;
  count = 0;
  while (!s.empty() && IsDigit(s.front())) {
    uint64_t digit = static_cast<uint64_t>(s.front() - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    value = value * 10 + digit;
    ++count;
    s.remove_prefix(1);
  }
  return true;
}

}  // namespace

std::optional<bool> ParseSettingBool(std::string_view text) {
  text = TrimSpace(text);
  for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (text == t) return true;
  }
  for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (text == f) return false;
  }
  return std::nullopt;
}

std::optional<int64_t> ParseSettingInt(std::string_view text) {
  text = TrimSpace(text);
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  uint64_t magnitude = 0;
  size_t digits = 0;
  if (!TakeDigits(text, magnitude, digits) || digits == 0 || !text.empty()) return std::nullopt;
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative) {
    if (magnitude > kMax + 1) return std::nullopt;
    return magnitude == kMax + 1 ? std::numeric_limits<int64_t>::min()
                                 : -static_cast<int64_t>(magnitude);
  }
  if (magnitude > kMax) return std::nullopt;
  return static_cast<int64_t>(magnitude);
}

std::optional<std::chrono::nanoseconds> ParseSettingDuration(std::string_view text) {
  text = TrimSpace(text);
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text == "0") return std::chrono::nanoseconds(0);
  if (text.empty()) return std::nullopt;

  // Go's unit table; longer spellings first so "ms" is not read as "m".
  static constexpr std::array<std::pair<std::string_view, uint64_t>, 8> kUnits = {{
      {"ns", 1},
      {"us", 1'000},
      {"\xC2\xB5s", 1'000},  // U+00B5 micro sign
      {"\xCE\xBCs", 1'000},  // U+03BC Greek mu
      {"ms", 1'000'000},
      {"s", 1'000'000'000},
      {"m", 60'000'000'000},
      {"h", 3'600'000'000'000},
  }};
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

  uint64_t total = 0;
  while (!text.empty()) {
    uint64_t whole = 0;
    size_t whole_digits = 0;
    if (!TakeDigits(text, whole, whole_digits)) return std::nullopt;
    uint64_t fraction = 0;
    uint64_t fraction_scale = 1;
    size_t fraction_digits = 0;
    if (!text.empty() && text.front() == '.') {
      text.remove_prefix(1);
      // Keep at most 18 fraction digits: finer than a nanosecond of an hour anyway.
      while (!text.empty() && IsDigit(text.front())) {
        if (fraction_digits < 18) {
          fraction = fraction * 10 + static_cast<uint64_t>(text.front() - '0');
          fraction_scale *= 10;
        }
        ++fraction_digits;
        text.remove_prefix(1);
      }
    }
    if (whole_digits == 0 && fraction_digits == 0) return std::nullopt;
    uint64_t unit = 0;
    for (const auto& [name, nanos] : kUnits) {
      if (!name.empty() && text.substr(0, name.size()) == name) {
        unit = nanos;
        text.remove_prefix(name.size());
        break;
      }
    }
    if (unit == 0) return std::nullopt;  // Go requires a unit on every number but a lone "0"
    if (whole > kMax / unit) return std::nullopt;
    uint64_t part = whole * unit;
    // fraction / fraction_scale of a unit, computed without overflowing.
    long double fractional =
        static_cast<long double>(fraction) / static_cast<long double>(fraction_scale);
    part += static_cast<uint64_t>(fractional * static_cast<long double>(unit));
    if (part > kMax - total) return std::nullopt;
    total += part;
  }
  auto nanos = static_cast<int64_t>(total);
  return std::chrono::nanoseconds(negative ? -nanos : nanos);
}

std::optional<uint64_t> ParseSettingBytes(std::string_view text) {
  text = TrimSpace(text);
  uint64_t value = 0;
  size_t digits = 0;
  if (!TakeDigits(text, value, digits) || digits == 0) return std::nullopt;
  std::string unit = Lower(TrimSpace(text));
  int shift = -1;
  if (unit.empty() || unit == "b") shift = 0;
  if (unit == "k" || unit == "kb" || unit == "kib") shift = 10;
  if (unit == "m" || unit == "mb" || unit == "mib") shift = 20;
  if (unit == "g" || unit == "gb" || unit == "gib") shift = 30;
  if (unit == "t" || unit == "tb" || unit == "tib") shift = 40;
  if (shift < 0) return std::nullopt;
  if (shift > 0 && value > (std::numeric_limits<uint64_t>::max() >> shift)) return std::nullopt;
  return value << shift;
}

}  // namespace walnut
