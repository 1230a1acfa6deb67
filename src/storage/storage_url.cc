#include "config/storage_url.h"

#include <cctype>

#include <fmt/format.h>

#include "common/error.h"

namespace walnut {
namespace {

constexpr std::string_view kS3Form = "expected s3://bucket or s3://bucket/path";

[[noreturn]] void ThrowBadPrefix(std::string_view setting, std::string_view prefix,
                                 std::string_view why) {
  throw Error(ErrorCode::kInvalidArgument,
              fmt::format("{}: invalid value '{}': {}; {}", setting, prefix, why, kS3Form));
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
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

S3Location ParseS3Prefix(std::string_view setting, std::string_view prefix) {
  constexpr std::string_view kScheme = "s3://";
  if (!StartsWithNoCase(prefix, kScheme)) ThrowBadPrefix(setting, prefix, "the scheme must be s3");
  // Go's url.Parse would take these as query or fragment and silently drop them from the path.
  if (prefix.find_first_of("?#") != std::string_view::npos) {
    ThrowBadPrefix(setting, prefix, "'?' and '#' are not allowed");
  }
  std::string_view rest = prefix.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view bucket = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (bucket.empty()) ThrowBadPrefix(setting, prefix, "the bucket name is missing");
  for (char c : bucket) {
    if (c == '@' || c == ':' || c == '%' || std::isspace(static_cast<unsigned char>(c)) ||
        std::iscntrl(static_cast<unsigned char>(c))) {
      ThrowBadPrefix(setting, prefix, fmt::format("the bucket name '{}' is not valid", bucket));
    }
  }

  S3Location location;
  location.bucket = std::string(bucket);
  std::string decoded;
  decoded.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '%') {
      int high = i + 2 < path.size() ? HexValue(path[i + 1]) : -1;
      int low = i + 2 < path.size() ? HexValue(path[i + 2]) : -1;
      if (high < 0 || low < 0) ThrowBadPrefix(setting, prefix, "bad %-escape in the path");
      decoded.push_back(static_cast<char>(high * 16 + low));
      i += 2;
      continue;
    }
    if (std::iscntrl(static_cast<unsigned char>(c))) {
      ThrowBadPrefix(setting, prefix, "control characters are not allowed");
    }
    decoded.push_back(c);
  }
  size_t first = decoded.find_first_not_of('/');
  size_t last = decoded.find_last_not_of('/');
  location.root = first == std::string::npos ? "" : decoded.substr(first, last - first + 1);
  return location;
}

std::string NormalizeFilePrefix(std::string_view setting, std::string_view prefix) {
  std::string_view path = prefix;
  // WAL-E wrote file://localhost/dir; WAL-G strips "file://localhost" (WaleFileHost).
  constexpr std::string_view kWaleHost = "file://localhost";
  constexpr std::string_view kFileScheme = "file://";
  if (path.substr(0, kWaleHost.size()) == kWaleHost) {
    path.remove_prefix(kWaleHost.size());
  } else if (path.substr(0, kFileScheme.size()) == kFileScheme) {
    path.remove_prefix(kFileScheme.size());
  }
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{}: invalid value '{}': no directory given; expected a directory "
                            "such as /var/backups/walg",
                            setting, prefix));
  }
  return std::string(path);
}

}  // namespace walnut
