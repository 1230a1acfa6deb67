#include "net/http_date.h"

#include <ctime>

namespace walnut::net {

namespace {
constexpr const char* kFormat = "%a, %d %b %Y %H:%M:%S GMT";
}  // namespace

std::string FormatHttpDate(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, kFormat, &tm);
  return std::string(buf, n);
}

std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view s) {
  std::string copy(s);
  std::tm tm{};
  const char* end = strptime(copy.c_str(), kFormat, &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  // strptime takes any four-digit year; only 1678..2261 fit the clock's int64 nanoseconds.
  const int year = tm.tm_year + 1900;
  if (year < 1678 || year > 2261) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace walnut::net
