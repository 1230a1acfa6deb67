#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/hex.h"
#include "common/secret_string.h"
#include "net/http_client.h"
#include "net/url.h"

namespace walnut::s3 {

// AWS Signature Version 4 for S3 with the Authorization header, as specified in
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html.
// The pieces are exposed so tests can check each step against AWS's published examples.

// The hex SHA-256 of nothing: x-amz-content-sha256 for requests without a body.
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

struct Credentials {
  std::string access_key_id;  // empty = anonymous: requests are sent unsigned
  SecretString secret_access_key;
  SecretString session_token;  // sent (and signed) as x-amz-security-token when set
};

// What gets signed. `canonical_uri` is the path exactly as sent on the wire (already
// percent-encoded once, '/' kept; S3 does not encode it a second time). `headers` must include
// host and x-amz-date; every header given is signed.
struct SigningInput {
  std::string_view method;
  std::string_view canonical_uri;
  const net::QueryParams* query = nullptr;
  const net::HttpHeaders* headers = nullptr;
  std::string_view payload_sha256;
};

std::string Sha256Hex(ConstByteSpan data);
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string Md5Base64(ConstByteSpan data);                            // for Content-MD5

// "20130524T000000Z" and its date part, in UTC.
std::string AmzDate(std::chrono::system_clock::time_point t);

std::string CanonicalRequest(const SigningInput& in);
// SignedHeaders: lower-case names, sorted, ';'-separated.
std::string SignedHeaders(const net::HttpHeaders& headers);
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
// HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request".
std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);

// Signs requests for one credential set and region. Thread-safe (immutable).
class SigV4Signer {
 public:
  SigV4Signer(Credentials credentials, std::string region, std::string service = "s3");

  bool anonymous() const { return credentials_.access_key_id.empty(); }

  // Adds x-amz-date, x-amz-content-sha256, x-amz-security-token (with a session token) and
  // Authorization to `request`, whose URL path and query must be `canonical_uri` and
  // CanonicalQueryString(query). Anonymous signers add only x-amz-content-sha256 (S3 wants it
  // on every request). `request.headers` must already hold Host.
  void Sign(net::HttpRequest& request, std::string_view canonical_uri,
            const net::QueryParams& query, std::string_view payload_sha256,
            std::chrono::system_clock::time_point now) const;

  // The Authorization header value for a fully prepared input at `amz_date`.
  std::string Authorization(const SigningInput& in, std::string_view amz_date) const;

 private:
  Credentials credentials_;
  std::string region_;
  std::string service_;
};

}  // namespace walnut::s3
