#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace walnut::net {

// HTTP's date format (RFC 1123 in GMT, "Sun, 11 Oct 2009 21:49:13 GMT"): Last-Modified, Date,
// Azure's x-ms-date and its listings.
std::string FormatHttpDate(std::chrono::system_clock::time_point t);
// nullopt when `s` is not such a date.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view s);

}  // namespace walnut::net
