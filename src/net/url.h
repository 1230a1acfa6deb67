#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace walnut::net {

// Percent-encodes every byte except the RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~),
// with upper-case hex digits, as AWS SigV4 requires. '/' is kept when keep_slash is true (object
// key paths) and encoded otherwise (query names and values).
std::string UriEncode(std::string_view s, bool keep_slash);

// Query parameters in the order given; names and values are raw (not yet encoded).
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// "a=1&b=%2F": encoded and sorted by encoded name then value, the SigV4 canonical query string.
// A parameter without a value becomes "name=". Sending the same string on the wire keeps the
// signed and the sent query identical.
std::string CanonicalQueryString(const QueryParams& params);

// The parts of an endpoint URL such as "https://s3.example.com:9000/base".
struct Endpoint {
  std::string scheme;     // "http" or "https"
  std::string host;       // without port; IPv6 literals keep their brackets
  uint16_t port = 0;      // 0 = the scheme's default
  std::string base_path;  // "" or "/base" (no trailing '/')

  // "host" or "host:port" when the port is not the scheme's default: the Host header value.
  std::string HostHeader() const;
};

// Parses an endpoint URL; throws Error(kInvalidArgument) naming `setting` when it is malformed
// (no scheme, a scheme other than http/https, a bad port, a query or fragment, user info).
Endpoint ParseEndpoint(std::string_view url, std::string_view setting);

}  // namespace walnut::net
