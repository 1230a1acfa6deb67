#pragma once

#include <string>
#include <string_view>

namespace walnut {

// Standard base64 with padding (RFC 4648 §4), as HTTP headers carry keys and digests.
std::string Base64Encode(std::string_view raw);

// URL-safe base64 without padding (RFC 4648 §5), as JWTs use.
std::string Base64UrlEncode(std::string_view raw);

}  // namespace walnut
