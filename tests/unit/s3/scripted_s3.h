#pragma once

// Helpers shared by the tests of S3Storage against a scripted loopback server.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <regex>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/mutex.h"
#include "storage/s3/s3_options.h"
#include "storage/s3/sigv4.h"
#include "support/scripted_http_server.h"

namespace walnut::s3 {

// The scripted server's names, for this header and the tests that include it.
using walnut::testing::RecordedRequest;
using walnut::testing::S3ErrorXml;
using walnut::testing::ScriptedHttpServer;
using walnut::testing::ScriptedResponse;

inline constexpr char kSecret[] = "sEcReT/Key+ForTests";
inline constexpr char kToken[] = "SeSsIoNtOkEn";

// Options for a server at `endpoint`: short timeouts, three attempts with millisecond backoff.
inline S3Options OptionsFor(const std::string& endpoint) {
  S3Options o;
  o.endpoint = endpoint;
  o.region = "us-east-1";  // as S3OptionsFromConfig for a non-AWS endpoint: no discovery
  o.bucket = "bucket";
  o.root = "root";
  o.force_path_style = true;
  o.access_key_id = "AKIDTEST";
  o.secret_access_key = SecretString(std::string(kSecret));
  o.session_token = SecretString(std::string(kToken));
  o.max_part_size = 5u << 20;
  o.stall_timeout = std::chrono::milliseconds(1000);
  o.connect_timeout = std::chrono::milliseconds(2000);
  o.retry.max_attempts = 3;
  o.retry.base_delay = std::chrono::milliseconds(1);
  o.retry.max_delay = std::chrono::milliseconds(5);
  // Scripts that do not expect a GetBucketVersioning before the first delete; the tests of
  // versioned buckets set kDetect.
  o.versioning = S3Options::Versioning::kDisabled;
  return o;
}

inline S3Options OptionsFor(const ScriptedHttpServer& server) {
  return OptionsFor(server.endpoint());
}

// Serves `object` for ranged GETs the way S3 does.
inline ScriptedResponse ServeRange(const RecordedRequest& r,
                                                    const std::string& object,
                                                    const std::string& etag = "\"etag-1\"") {
  // A read that got no bytes (a 416) asks for the object's metadata with a HEAD.
  if (r.method == "HEAD") return {200, {{"ETag", etag}, {"x-amz-meta-walnut-sha256", "h"}}, ""};
  std::smatch m;
  std::string range = r.Header("range").value_or("");
  if (!std::regex_match(range, m, std::regex("bytes=(\\d+)-(\\d+)"))) {
    return {400, {}, S3ErrorXml("InvalidRange", "no range")};
  }
  uint64_t first = std::stoull(m[1]);
  uint64_t last = std::min<uint64_t>(std::stoull(m[2]), object.size() - 1);
  if (first >= object.size())
    return {416, {}, S3ErrorXml("InvalidRange", "past the end")};
  if (auto if_match = r.Header("if-match"); if_match && *if_match != etag) {
    return {412, {}, S3ErrorXml("PreconditionFailed", "etag")};
  }
  return {206,
          {{"ETag", etag},
           {"Content-Range", fmt::format("bytes {}-{}/{}", first, last, object.size())}},
          object.substr(first, last - first + 1)};
}

// A minimal multipart server: initiate, parts, complete, abort.
class MultipartServer {
 public:
  explicit MultipartServer(ScriptedHttpServer& server, int fail_part = 0) {
    server.SetHandler([this, fail_part](const RecordedRequest& r)
                          -> ScriptedResponse {
      std::string q = r.Query();
      if (r.method == "POST" && q == "uploads=") {
        return {200,
                {},
                "<InitiateMultipartUploadResult><UploadId>up/1+x</UploadId>"
                "</InitiateMultipartUploadResult>"};
      }
      if (r.method == "PUT" && q.find("partNumber=") == 0) {
        int n = std::stoi(q.substr(11));
        if (n == fail_part) return {403, {}, S3ErrorXml("AccessDenied", "no")};
        MutexLock lock(mu_);
        parts_[n] = r.body;
        return {200, {{"ETag", fmt::format("\"p{}\"", n)}}, ""};
      }
      if (r.method == "POST" && q == "uploadId=up%2F1%2Bx") {
        complete_body = r.body;
        return {200,
                {},
                "<CompleteMultipartUploadResult><ETag>\"all\"</ETag>"
                "</CompleteMultipartUploadResult>"};
      }
      if (r.method == "HEAD") return {200, head_headers, ""};
      if (r.method == "PUT" && q == "retention=") {
        retention_body = r.body;
        return {200, {}, ""};
      }
      if (r.method == "DELETE" && q == "uploadId=up%2F1%2Bx") {
        ++aborts;
        return {204, {}, ""};
      }
      return {400, {}, S3ErrorXml("Unexpected", r.method + " " + r.target)};
    });
  }
  // The parts received so far, by number.
  std::map<int, std::string> parts() const {
    MutexLock lock(mu_);
    return parts_;
  }
  std::string complete_body;
  std::atomic<int> aborts{0};
  // The headers a HEAD of the completed object answers with; the body of a PutObjectRetention.
  std::vector<std::pair<std::string, std::string>> head_headers;
  std::string retention_body;

 private:
  mutable Mutex mu_;
  std::map<int, std::string> parts_ GUARDED_BY(mu_);
};

inline std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Recomputes the signature of a request as received (the server-side check s3rver skips): checks
// that `r` carries a valid SigV4 signature by AKIDTEST for `region`, over every header it
// names as signed, host, dates, payload hash and session token included.
inline void ExpectValidSignature(const RecordedRequest& r,
                                 const std::string& region = "us-east-1") {
  auto auth = r.Header("authorization");
  ASSERT_TRUE(auth.has_value()) << r.method << " " << r.target;
  std::smatch m;
  ASSERT_TRUE(std::regex_match(
      *auth, m,
      std::regex("AWS4-HMAC-SHA256 Credential=AKIDTEST/(\\d{8})/" + region +
                 "/s3/aws4_request,SignedHeaders=([a-z0-9;-]+),Signature=([0-9a-f]{64})")))
      << *auth;
  net::HttpHeaders signed_headers;
  std::string names = m[2];
  for (size_t pos = 0; pos <= names.size();) {
    size_t end = std::min(names.find(';', pos), names.size());
    std::string name = names.substr(pos, end - pos);
    auto value = r.Header(name);
    ASSERT_TRUE(value.has_value()) << "signed header " << name << " was not sent";
    signed_headers.emplace_back(name, *value);
    pos = end + 1;
  }
  for (const char* required :
       {"host", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"}) {
    EXPECT_NE((";" + names + ";").find(std::string(";") + required + ";"), std::string::npos)
        << required << " not signed";
  }
  net::QueryParams query;
  std::string q = r.Query();
  for (size_t pos = 0; !q.empty() && pos <= q.size();) {
    size_t end = std::min(q.find('&', pos), q.size());
    std::string pair = q.substr(pos, end - pos);
    size_t eq = pair.find('=');
    query.emplace_back(PercentDecode(pair.substr(0, eq)),
                       eq == std::string::npos ? "" : PercentDecode(pair.substr(eq + 1)));
    pos = end + 1;
  }
  std::string payload = *r.Header("x-amz-content-sha256");
  if (payload != kUnsignedPayload) {
    EXPECT_EQ(payload, Sha256Hex(AsBytes(r.body)));
  }
  SigV4Signer signer(Credentials{"AKIDTEST", SecretString(std::string(kSecret)),
                                 SecretString(std::string(kToken))},
                     region);
  std::string path = r.Path();
  SigningInput in{r.method, path, &query, &signed_headers, payload};
  EXPECT_EQ(signer.Authorization(in, *r.Header("x-amz-date")), *auth)
      << r.method << " " << r.target;
}

}  // namespace walnut::s3
