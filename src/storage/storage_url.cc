#include "storage/storage_url.h"

#include <cctype>

#include <fmt/format.h>

#include "common/error.h"

namespace walnut {
namespace {

[[noreturn]] void ThrowBadPrefix(std::string_view setting, std::string_view prefix,
                                 std::string_view scheme, std::string_view why) {
  throw Error(ErrorCode::kInvalidArgument,
              fmt::format("{}: invalid value '{}': {}; expected {}://name or {}://name/path",
                          setting, prefix, why, scheme, scheme));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

StorageUrl ParseStorageUrl(std::string_view setting, std::string_view prefix,
                           std::string_view scheme) {
  std::string with_separator = std::string(scheme) + "://";
  std::string_view kScheme = with_separator;
  if (!StartsWithNoCase(prefix, kScheme)) {
    ThrowBadPrefix(setting, prefix, scheme, fmt::format("the scheme must be {}", scheme));
  }
  // Go's url.Parse would take these as query or fragment and silently drop them from the path.
  if (prefix.find_first_of("?#") != std::string_view::npos) {
    ThrowBadPrefix(setting, prefix, scheme, "'?' and '#' are not allowed");
  }
  std::string_view rest = prefix.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view bucket = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (bucket.empty()) ThrowBadPrefix(setting, prefix, scheme, "the name is missing");
  for (char c : bucket) {
    if (c == '@' || c == ':' || c == '%' || std::isspace(static_cast<unsigned char>(c)) ||
        std::iscntrl(static_cast<unsigned char>(c))) {
      ThrowBadPrefix(setting, prefix, scheme, fmt::format("the name '{}' is not valid", bucket));
    }
  }

  StorageUrl location;
  location.host = std::string(bucket);
  std::string decoded;
  decoded.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '%') {
      int high = i + 2 < path.size() ? HexValue(path[i + 1]) : -1;
      int low = i + 2 < path.size() ? HexValue(path[i + 2]) : -1;
      if (high < 0 || low < 0) ThrowBadPrefix(setting, prefix, scheme, "bad %-escape in the path");
      decoded.push_back(static_cast<char>(high * 16 + low));
      i += 2;
      continue;
    }
    if (std::iscntrl(static_cast<unsigned char>(c))) {
      ThrowBadPrefix(setting, prefix, scheme, "control characters are not allowed");
    }
    decoded.push_back(c);
  }
  size_t first = decoded.find_first_not_of('/');
  size_t last = decoded.find_last_not_of('/');
  location.root = first == std::string::npos ? "" : decoded.substr(first, last - first + 1);
  return location;
}

}  // namespace walnut
