#include "common/rfc3339.h"

#include <cstdint>
#include <cstdio>

namespace walnut {
namespace {

using std::chrono::days;
using std::chrono::nanoseconds;
using std::chrono::seconds;

constexpr std::string_view kGoZeroText = "0001-01-01T00:00:00Z";

// Parses exactly `n` decimal digits at text[pos].
bool Digits(std::string_view text, size_t pos, size_t n, int& value) {
  if (pos + n > text.size()) return false;
  value = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

std::string FormatSeconds(std::chrono::sys_seconds secs) {
  const auto day = std::chrono::floor<days>(secs);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{secs - day};
  char out[32];
  std::snprintf(out, sizeof(out), "%04d-%02u-%02uT%02d:%02d:%02lld", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<long long>(hms.seconds().count()));
  return out;
}

}  // namespace

std::string FormatRfc3339Nano(Timestamp t) {
  if (t == kGoZeroTime) return std::string(kGoZeroText);
  const auto secs = std::chrono::floor<seconds>(t);
  std::string text = FormatSeconds(secs);
  int64_t nanos = (t - secs).count();
  if (nanos != 0) {
    char fraction[16];
    std::snprintf(fraction, sizeof(fraction), ".%09lld", static_cast<long long>(nanos));
    std::string_view f = fraction;
    while (f.back() == '0') f.remove_suffix(1);  // Go trims trailing zeros ("999999999" layout)
    text += f;
  }
  return text + "Z";
}

std::string FormatRfc3339(Timestamp t) {
  if (t == kGoZeroTime) return std::string(kGoZeroText);
  return FormatSeconds(std::chrono::floor<seconds>(t)) + "Z";
}

std::optional<Timestamp> ParseRfc3339(std::string_view text) {
  if (text == kGoZeroText) return kGoZeroTime;
  int year, month, day, hour, minute, second;
  if (text.size() < 20 || !Digits(text, 0, 4, year) || text[4] != '-' ||
      !Digits(text, 5, 2, month) || text[7] != '-' || !Digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't') || !Digits(text, 11, 2, hour) || text[13] != ':' ||
      !Digits(text, 14, 2, minute) || text[16] != ':' || !Digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++digits > 9) return std::nullopt;
      nanos = nanos * 10 + (text[pos] - '0');
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 9; ++i) nanos *= 10;
  }
  int offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (!Digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !Digits(text, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = (oh * 60 + om) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  // Go accepts 24:00:00? No: hours 0-23, seconds 0-59 (a leap second 60 is rejected as well).
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok() || year < 1678 || year > 2261) return std::nullopt;  // int64 nanoseconds
  const auto secs = std::chrono::sys_days{ymd} + std::chrono::hours{hour} +
                    std::chrono::minutes{minute} + seconds{second} -
                    std::chrono::minutes{offset_minutes};
  return Timestamp{std::chrono::duration_cast<nanoseconds>(secs.time_since_epoch()) +
                   nanoseconds{nanos}};
}

}  // namespace walnut
