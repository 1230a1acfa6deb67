#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "common/error.h"
#include "net/http_client.h"
#include "net/url.h"
#include "storage/s3/bucket_region.h"
#include "storage/s3/credentials/credentials_provider.h"
#include "storage/s3/s3_options.h"
#include "storage/s3/sigv4.h"

namespace walnut::s3 {

// User metadata travels in headers named x-amz-meta-<name> (PutObject, CreateMultipartUpload,
// and the HeadObject answer).
inline constexpr std::string_view kMetadataHeaderPrefix = "x-amz-meta-";

// The user metadata in a response's headers (HeadObject, GetObject), names without the prefix.
inline std::map<std::string, std::string> UserMetadata(const net::HttpResponse& response) {
  std::map<std::string, std::string> metadata;
  for (const auto& [name, value] : response.headers) {
    if (name.starts_with(kMetadataHeaderPrefix)) {
      metadata[name.substr(kMetadataHeaderPrefix.size())] = value;
    }
  }
  return metadata;
}

// What WithRetries logs before an error; the error itself names the request and the object.
inline constexpr std::string_view kRetryLabel = "transient failure";

// Counters for tests and diagnostics. Thread-safe.
struct S3Stats {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> single_puts{0};
  std::atomic<uint64_t> multipart_uploads{0};
  std::atomic<uint64_t> parts_uploaded{0};
  std::atomic<uint64_t> ranged_gets{0};
  std::atomic<uint64_t> delete_batches{0};
  std::atomic<uint64_t> list_pages{0};
};

// One S3 request: an operation on the bucket (key "") or on an object.
struct S3Call {
  std::string op;  // for messages: "GetObject", "UploadPart", ...
  std::string method;
  std::string key;  // the full key in the bucket (root included); "" = the bucket
  net::QueryParams query;
  net::HttpHeaders headers;  // besides Host and the signing headers
  ConstByteSpan body;
  std::string payload_sha256;  // hex sha256 of body; computed when empty
  std::set<long> ok_statuses = {200};
  std::stop_token stop;  // aborts the transfer when stop is requested
  // The server works in proportion to the request before it answers (DeleteObjects of up to 1000
  // keys, CompleteMultipartUpload): its answer may take AnswerTimeoutFor(), not the stall timeout.
  bool slow_answer = false;
  // Reads or writes an object's content: carries the SSE-C key headers when WALG_S3_SSE_C is set
  // (PutObject, CreateMultipartUpload, UploadPart, GetObject, HeadObject).
  bool object_content = false;
};

// A HEAD of one object (200 only, unless ok_statuses says otherwise).
inline S3Call HeadObjectCall(std::string full_key, std::set<long> ok_statuses = {200}) {
  S3Call call;
  call.op = "HeadObject";
  call.method = "HEAD";
  call.key = std::move(full_key);
  call.ok_statuses = std::move(ok_statuses);
  call.object_content = true;
  return call;
}

// options.stall_timeout, else a quarter of the retry budget (1 s to 60 s; 60 s without a budget):
// an endpoint that accepts connections and never answers is tried three times within the budget,
// and a request whose connection went silent still has time for a retry.
std::chrono::milliseconds StallTimeoutFor(const S3Options& options);
// options.connect_timeout, else the stall timeout but at most 10 s.
std::chrono::milliseconds ConnectTimeoutFor(const S3Options& options);

// How long a slow_answer call may wait for the first byte of its answer: the whole retry budget
// (60 s without one), never less than the stall timeout. A server that takes longer fails the
// call once, without retries; the budget (WALNUT_STORAGE_RETRY_TIMEOUT) is the setting to raise.
std::chrono::milliseconds AnswerTimeoutFor(const S3Options& options);

// Addressing, signing and error mapping for one bucket; the storage operations build on it.
// Thread-safe.
class S3Client {
 public:
  // REQUIRES: options validated (S3Storage's constructor does it).
  explicit S3Client(const S3Options& options);

  // Sends one attempt. Returns the response when its status is in call.ok_statuses; otherwise
  // throws the mapped error (S3ErrorFor). Network failures throw kNetwork (retryable).
  // The first call asks the bucket for its region when AWS_REGION is unset; an answer that the
  // bucket is in another region is corrected and the request sent again (bucket_region.h).
  // An answer that the credentials expired (ExpiredToken, InvalidToken) renews them and sends
  // the request once more.
  net::HttpResponse Send(const S3Call& call, const net::BodySink& sink = nullptr,
                         const net::HeadersCallback& on_headers = nullptr);
  // Sends one attempt to `addressing` as it is: no region discovery or correction, no status
  // check. For the region discovery itself.
  net::HttpResponse SendTo(const Addressing& addressing, const S3Call& call,
                           const net::BodySink& sink = nullptr,
                           const net::HeadersCallback& on_headers = nullptr);
  // Send() under the retry policy (5xx, 429, network errors, damaged answers).
  net::HttpResponse SendWithRetries(const S3Call& call);
  // Calls `attempt` (one request, and the checks of its answer) under the retry policy: until it
  // returns, throws an error that is not retryable, or the attempts or the time budget run out.
  // Such a last error says how many attempts were made in how long, and what to check.
  void Retry(const std::function<void()>& attempt);

  // parse(body) for the answer to operation `op` on `uri` (s3://bucket/key or prefix); a body that
  // does not parse (Error, retryable) is reported naming both.
  template <class Parse>
  static auto ParseAnswer(std::string_view op, std::string_view uri, std::string_view body,
                          const Parse& parse) {
    try {
      return parse(body);
    } catch (const Error& e) {
      throw Error(e.code(), fmt::format("s3 {} {}: {}", op, uri, e.what()), e.retryable());
    }
  }

  // The error for a response outside the expected statuses: kNotFound (404),
  // kPermissionDenied (401/403), retryable kNetwork (5xx, 429, RequestTimeout), kProtocol else.
  // The message names the operation, the object, the status and S3's code and message.
  Error ErrorFor(const S3Call& call, const net::HttpResponse& response) const;

  // "s3://bucket/key" (or "s3://bucket" for key "").
  std::string Uri(std::string_view full_key) const;
  // The wire URL, Host header and canonical URI of a request for `full_key`.
  struct Target {
    std::string url;
    std::string host;
    std::string canonical_uri;
  };
  // For the current addressing (before the region is found: where GetBucketLocation goes).
  Target TargetFor(std::string_view full_key, const net::QueryParams& query) const;
  Target TargetFor(const Addressing& addressing, std::string_view full_key,
                   const net::QueryParams& query) const;
  bool path_style() const { return region_.Peek().path_style; }
  // "http://127.0.0.1:9000", "https://s3.eu-west-1.amazonaws.com": where requests go.
  std::string EndpointUrl() const;
  // The region requests are signed for now (before the region is found: us-east-1, which the
  // discovery is signed for).
  std::string region() const;

  // Storage class, server-side encryption (SSE-S3/KMS; SSE-C goes with object_content) and
  // Object Lock headers for requests that create objects.
  net::HttpHeaders ObjectCreationHeaders() const;

  const S3Options& options() const { return options_; }
  S3Stats& stats() { return stats_; }
  const S3Stats& stats() const { return stats_; }

 private:
  // SendTo, signed with `credentials`.
  net::HttpResponse SendSigned(const Addressing& addressing, const S3Call& call,
                               const Credentials& credentials, const net::BodySink& sink,
                               const net::HeadersCallback& on_headers);

  const S3Options options_;
  BucketRegion region_;  // refers to options_
  // Asked before each request: temporary credentials are renewed inside long commands.
  std::shared_ptr<CredentialsProvider> credentials_;
  net::HttpClient http_;
  S3Stats stats_;
};

}  // namespace walnut::s3
