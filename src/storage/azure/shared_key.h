#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "net/http_client.h"
#include "net/url.h"

// Azure Storage's SharedKey authorization, as Microsoft documents it in "Authorize with Shared
// Key" (learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key): the
// string-to-sign of a request, HMAC-SHA256 with the base64-decoded account key, and the header
// "Authorization: SharedKey ACCOUNT:SIGNATURE".

namespace walnut::azure {

std::string Base64Encode(std::string_view raw);
// Throws Error(kInvalidArgument) when `text` is not base64 (the message names no value).
std::string Base64Decode(std::string_view text);
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes

// "/ACCOUNT/encoded/url/path" then, for each query parameter sorted by its lower-cased name,
// "\nname:value" (raw values; several values of one name sorted and joined with ','). The URL
// path is the one sent: with a path-style endpoint (azurite's /ACCOUNT/container/blob) the
// account therefore appears twice.
std::string CanonicalizedResource(std::string_view account, std::string_view url_path,
                                  const net::QueryParams& query);

// The x-ms-* headers, names lower-cased, sorted, "name:value\n" each (values trimmed, runs of
// whitespace folded into one space).
std::string CanonicalizedHeaders(const net::HttpHeaders& headers);

// VERB, the standard headers (Content-Length empty when 0), the canonicalized headers and the
// resource, for x-ms-version 2015-02-21 and later.
std::string StringToSign(std::string_view method, const net::HttpHeaders& headers,
                         size_t content_length, std::string_view canonicalized_resource);

// "SharedKey ACCOUNT:base64(HMAC-SHA256(base64decode(key), string_to_sign))".
std::string SharedKeyAuthorization(std::string_view account, std::string_view key_base64,
                                   std::string_view string_to_sign);

}  // namespace walnut::azure
