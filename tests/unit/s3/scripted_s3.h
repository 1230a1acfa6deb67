#pragma once

// Helpers shared by the tests of S3Storage against a scripted loopback server.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>

#include "common/mutex.h"
#include <regex>
#include <string>

#include <fmt/format.h>

#include "storage/s3/s3_options.h"
#include "support/scripted_http_server.h"

namespace walnut::s3 {

inline constexpr char kSecret[] = "sEcReT/Key+ForTests";
inline constexpr char kToken[] = "SeSsIoNtOkEn";

// Options for a server at `endpoint`: short timeouts, three attempts with millisecond backoff.
inline S3Options OptionsFor(const std::string& endpoint) {
  S3Options o;
  o.endpoint = endpoint;
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
  return o;
}

inline S3Options OptionsFor(const walnut::testing::ScriptedHttpServer& server) {
  return OptionsFor(server.endpoint());
}

// Serves `object` for ranged GETs the way S3 does.
inline walnut::testing::ScriptedResponse ServeRange(const walnut::testing::RecordedRequest& r,
                                                    const std::string& object,
                                                    const std::string& etag = "\"etag-1\"") {
  // A read that got no bytes (a 416) asks for the object's metadata with a HEAD.
  if (r.method == "HEAD") return {200, {{"ETag", etag}, {"x-amz-meta-walnut-sha256", "h"}}, ""};
  std::smatch m;
  std::string range = r.Header("range").value_or("");
  if (!std::regex_match(range, m, std::regex("bytes=(\\d+)-(\\d+)"))) {
    return {400, {}, walnut::testing::S3ErrorXml("InvalidRange", "no range")};
  }
  uint64_t first = std::stoull(m[1]);
  uint64_t last = std::min<uint64_t>(std::stoull(m[2]), object.size() - 1);
  if (first >= object.size())
    return {416, {}, walnut::testing::S3ErrorXml("InvalidRange", "past the end")};
  if (auto if_match = r.Header("if-match"); if_match && *if_match != etag) {
    return {412, {}, walnut::testing::S3ErrorXml("PreconditionFailed", "etag")};
  }
  return {206,
          {{"ETag", etag},
           {"Content-Range", fmt::format("bytes {}-{}/{}", first, last, object.size())}},
          object.substr(first, last - first + 1)};
}

// A minimal multipart server: initiate, parts, complete, abort.
class MultipartServer {
 public:
  explicit MultipartServer(walnut::testing::ScriptedHttpServer& server, int fail_part = 0) {
    server.SetHandler([this, fail_part](const walnut::testing::RecordedRequest& r)
                          -> walnut::testing::ScriptedResponse {
      std::string q = r.Query();
      if (r.method == "POST" && q == "uploads=") {
        return {200,
                {},
                "<InitiateMultipartUploadResult><UploadId>up/1+x</UploadId>"
                "</InitiateMultipartUploadResult>"};
      }
      if (r.method == "PUT" && q.find("partNumber=") == 0) {
        int n = std::stoi(q.substr(11));
        if (n == fail_part) return {403, {}, walnut::testing::S3ErrorXml("AccessDenied", "no")};
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
      if (r.method == "DELETE" && q == "uploadId=up%2F1%2Bx") {
        ++aborts;
        return {204, {}, ""};
      }
      return {400, {}, walnut::testing::S3ErrorXml("Unexpected", r.method + " " + r.target)};
    });
  }
  // The parts received so far, by number.
  std::map<int, std::string> parts() const {
    MutexLock lock(mu_);
    return parts_;
  }
  std::string complete_body;
  std::atomic<int> aborts{0};

 private:
  mutable Mutex mu_;
  std::map<int, std::string> parts_ GUARDED_BY(mu_);
};

}  // namespace walnut::s3
