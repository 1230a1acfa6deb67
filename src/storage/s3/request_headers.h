#pragma once

#include <string_view>

#include "net/http_client.h"

namespace walnut::s3 {

// S3_REQUEST_ADDITIONAL_HEADERS as WAL-G reads it (pkg/storages/s3/session.go decodeHeaders, a
// YAML decoder, so JSON too): an object of header name -> value, {"X-A": "1", "X-B": "2"}, or a
// list of such objects, [{"X-A": "1"}, {"X-B": "2"}]. Throws Error(kInvalidArgument) with a
// problem that names the header but never a value (values may be tokens): for text that is
// neither, a name that is no HTTP token, a value that is not a single-line scalar, a name given
// twice, and the headers walnut signs or frames requests with (Host, Authorization, X-Amz-Date,
// X-Amz-Content-Sha256, X-Amz-Security-Token, Content-Length, Expect, Transfer-Encoding).
net::HttpHeaders ParseAdditionalHeaders(std::string_view text);

// Adds `extra` to `request` before it is signed (so they are signed too): a header of the same
// name (any case) that the request carries already is replaced, and the names go to
// request.masked_headers so a trace log shows no value.
void AddHeaders(net::HttpRequest& request, const net::HttpHeaders& extra);

}  // namespace walnut::s3
