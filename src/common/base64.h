#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace walnut {

// Standard base64 with padding (RFC 4648 §4), as HTTP headers carry keys and digests.
std::string Base64Encode(std::string_view raw);

// URL-safe base64 without padding (RFC 4648 §5), as JWTs use.
std::string Base64UrlEncode(std::string_view raw);

// The inverse of Base64Encode: the standard alphabet, '=' padding required (a length that is a
// multiple of 4). nullopt for anything else. What is decoded is often a key, so a failed decode
// wipes what it had written.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace walnut
