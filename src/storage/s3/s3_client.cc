#include "storage/s3/s3_client.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>

#include <fmt/format.h>

#include "common/logging.h"
#include "common/process_stats.h"
#include "common/retry.h"
#include "storage/s3/request_headers.h"
#include "storage/s3/s3_object_lock.h"
#include "storage/s3/s3_sse_c.h"
#include "storage/s3/s3_xml.h"

namespace walnut::s3 {

namespace {

// WAL-G's AWS SDK (aws-sdk-go service/s3 add100Continue) asks for "100 Continue" before bodies
// of this size and more.
constexpr size_t kExpectContinueMinBody = 2u << 20;

net::HttpClientOptions HttpOptions(const S3Options& o) {
  net::HttpClientOptions h;
  h.connect_timeout = ConnectTimeoutFor(o);
  h.stall_timeout = StallTimeoutFor(o);
  h.ca_cert_file = o.ca_cert_file;
  return h;
}

std::string RedirectHint(long status) {
  if (status == 301 || status == 307) return " (check AWS_REGION and AWS_ENDPOINT)";
  return "";
}

// The options' provider, else their fixed keys.
std::shared_ptr<CredentialsProvider> ProviderFor(const S3Options& o) {
  if (o.credentials) return o.credentials;
  return std::make_shared<StaticCredentialsProvider>(
      Credentials{o.access_key_id, o.secret_access_key, o.session_token},
      o.access_key_id.empty() ? "none (anonymous requests)"
                              : "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
}

// S3's error codes for temporary credentials that expired or were revoked.
bool IsExpiredTokenCode(std::string_view code) {
  return code == "ExpiredToken" || code == "ExpiredTokenException" || code == "InvalidToken" ||
         code == "TokenRefreshRequired";
}

// S3's answers to temporary credentials that expired or were revoked: renewing may cure them.
bool RejectsCredentials(const S3Call& call, const net::HttpResponse& response,
                        const Credentials& credentials) {
  if (response.status != 400 && response.status != 403) return false;
  // A HEAD answer has no body to say why: a 400 to temporary credentials is S3's ExpiredToken.
  if (call.method == "HEAD") return response.status == 400 && !credentials.session_token.empty();
  auto body = ParseErrorBody(response.body);
  if (!body) return false;
  return IsExpiredTokenCode(body->code) ||
         (body->code == "InvalidAccessKeyId" && !credentials.session_token.empty());
}

// What setting to check when a request fails for Object Lock or SSE-C reasons ("" otherwise).
std::string SettingHint(const S3Options& o, const S3Call& call, long status,
                        std::string_view detail) {
  const bool creates = call.op == "PutObject" || call.op == "CreateMultipartUpload";
  if (creates && status == 400 && o.retention_days > 0) {
    return " (S3_RETENTION_PERIOD locks uploads: the bucket must have Object Lock enabled)";
  }
  if (!call.object_content || (status != 400 && status != 403)) return "";
  if (!o.sse_customer_key.empty()) {
    return " (check WALG_S3_SSE_C: it must be the key the object was written with)";
  }
  // A HEAD's answer has no body to say why; S3 answers 400 to one without the object's key.
  if ((call.method == "HEAD" && status == 400) ||
      detail.find("Customer provided keys") != std::string_view::npos ||
      detail.find("customer-provided") != std::string_view::npos) {
    return " (the object was written with a customer key: set WALG_S3_SSE_C)";
  }
  return "";
}

}  // namespace

std::chrono::milliseconds StallTimeoutFor(const S3Options& o) {
  using std::chrono::seconds;
  if (o.stall_timeout.count() > 0) return o.stall_timeout;
  if (o.retry.budget.count() <= 0) return seconds(60);
  return std::clamp<std::chrono::milliseconds>(o.retry.budget / 4, seconds(1), seconds(60));
}

std::chrono::milliseconds ConnectTimeoutFor(const S3Options& o) {
  if (o.connect_timeout.count() > 0) return o.connect_timeout;
  return std::min<std::chrono::milliseconds>(StallTimeoutFor(o), std::chrono::seconds(10));
}

std::chrono::milliseconds AnswerTimeoutFor(const S3Options& o) {
  const std::chrono::milliseconds budget =
      o.retry.budget.count() > 0 ? o.retry.budget : std::chrono::seconds(60);
  return std::max(budget, StallTimeoutFor(o));
}

S3Client::S3Client(const S3Options& options)
    : options_(options),
      region_(options_),
      credentials_(ProviderFor(options)),
      http_(HttpOptions(options)) {}

std::string S3Client::region() const { return region_.Peek().region; }

std::string S3Client::Uri(std::string_view full_key) const {
  if (full_key.empty()) return fmt::format("s3://{}", options_.bucket);
  return fmt::format("s3://{}/{}", options_.bucket, full_key);
}

S3Client::Target S3Client::TargetFor(std::string_view full_key,
                                     const net::QueryParams& query) const {
  return TargetFor(region_.Peek(), full_key, query);
}

S3Client::Target S3Client::TargetFor(const Addressing& addressing, std::string_view full_key,
                                     const net::QueryParams& query) const {
  const net::Endpoint& endpoint = addressing.endpoint;
  Target t;
  std::string encoded_key = net::UriEncode(full_key, /*keep_slash=*/true);
  if (addressing.path_style) {
    t.host = endpoint.HostHeader();
    t.canonical_uri = fmt::format("{}/{}", endpoint.base_path, options_.bucket);
    if (!full_key.empty()) t.canonical_uri += "/" + encoded_key;
  } else {
    t.host = options_.bucket + "." + endpoint.HostHeader();
    t.canonical_uri = endpoint.base_path + "/" + encoded_key;
  }
  std::string origin_host = addressing.path_style ? endpoint.HostHeader() : t.host;
  t.url = fmt::format("{}://{}{}", endpoint.scheme, origin_host, t.canonical_uri);
  std::string q = net::CanonicalQueryString(query);
  if (!q.empty()) t.url += "?" + q;
  return t;
}

net::HttpHeaders S3Client::ObjectCreationHeaders() const {
  net::HttpHeaders h;
  if (!options_.storage_class.empty() && options_.storage_class != "STANDARD") {
    h.emplace_back("x-amz-storage-class", options_.storage_class);
  }
  // With SSE-C, WALG_S3_SSE names the customer key's algorithm (AddSseCustomerHeaders).
  if (!options_.sse.empty() && options_.sse_customer_key.empty()) {
    h.emplace_back("x-amz-server-side-encryption", options_.sse);
    if (!options_.sse_kms_id.empty()) {
      h.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", options_.sse_kms_id);
    }
  }
  net::HttpHeaders lock = ObjectLockHeaders(options_, std::chrono::system_clock::now());
  h.insert(h.end(), lock.begin(), lock.end());
  return h;
}

net::HttpResponse S3Client::Send(const S3Call& call, const net::BodySink& sink,
                                 const net::HeadersCallback& on_headers) {
  Addressing addressing = region_.Current([this] { return DiscoverBucketRegion(*this); });
  Credentials credentials = credentials_->Current();
  net::HttpResponse response = SendSigned(addressing, call, credentials, sink, on_headers);
  if (call.ok_statuses.contains(response.status)) return response;
  // Refusals come before any body byte reaches the sink: sending again is safe.
  if (RejectsCredentials(call, response, credentials) &&
      credentials_->RenewAfterRejection(credentials)) {
    spdlog::info("s3 {} {}: the credentials from {} were refused as expired; renewed them", call.op,
                 Uri(call.key), credentials_->Describe());
    credentials = credentials_->Current();
    response = SendSigned(addressing, call, credentials, sink, on_headers);
    if (call.ok_statuses.contains(response.status)) return response;
  }
  if (auto asked = RegionAsked(response, addressing.region)) {
    addressing = region_.Correct(addressing, *asked, call.op, Uri(call.key));
    response = SendSigned(addressing, call, credentials, sink, on_headers);
    if (call.ok_statuses.contains(response.status)) return response;
    if (auto again = RegionAsked(response, addressing.region)) {
      throw region_.WrongRegionError(call.op, Uri(call.key), addressing.region, *again);
    }
  }
  throw ErrorFor(call, response);
}

net::HttpResponse S3Client::SendTo(const Addressing& addressing, const S3Call& call,
                                   const net::BodySink& sink,
                                   const net::HeadersCallback& on_headers) {
  return SendSigned(addressing, call, credentials_->Current(), sink, on_headers);
}

net::HttpResponse S3Client::SendSigned(const Addressing& addressing, const S3Call& call,
                                       const Credentials& credentials, const net::BodySink& sink,
                                       const net::HeadersCallback& on_headers) {
  Target target = TargetFor(addressing, call.key, call.query);
  net::HttpRequest request;
  request.method = call.method;
  request.url = target.url;
  request.body = call.body;
  request.stop = call.stop;
  request.expect_continue = options_.expect_continue && call.body.size() >= kExpectContinueMinBody;
  if (call.slow_answer) request.answer_timeout = AnswerTimeoutFor(options_);
  request.headers.emplace_back("Host", target.host);
  request.headers.insert(request.headers.end(), call.headers.begin(), call.headers.end());
  if (call.object_content && !options_.sse_customer_key.empty()) {
    AddSseCustomerHeaders(options_.sse_customer_key, request.headers);
  }
  AddHeaders(request, options_.additional_headers);
  std::string payload_sha256 = call.payload_sha256;
  if (payload_sha256.empty()) {
    payload_sha256 = call.body.empty() ? std::string(kEmptyPayloadSha256) : Sha256Hex(call.body);
  }
  SigV4Signer(credentials, addressing.region)
      .Sign(request, target.canonical_uri, call.query, payload_sha256,
            std::chrono::system_clock::now());
  if (spdlog::should_log(spdlog::level::trace)) {
    spdlog::trace("s3 request: {}", net::DescribeForLog(request));
  }
  ++stats_.requests;
  net::BodySink counting_sink;
  if (sink) {
    counting_sink = [&sink](ConstByteSpan bytes) {
      stats::CountS3BytesRead(bytes.size());
      sink(bytes);
    };
  }
  net::HttpResponse response = http_.Perform(request, sink ? counting_sink : sink, on_headers);
  stats::CountS3Response(response.status, call.body.size());
  stats::CountS3BytesRead(response.body.size());
  return response;
}

net::HttpResponse S3Client::SendWithRetries(const S3Call& call) {
  net::HttpResponse response;
  Retry([&] { response = Send(call); });
  return response;
}

void S3Client::Retry(const std::function<void()>& attempt) {
  // Retried here already: callers (wal-fetch, backup-fetch) must not start over, or the time a
  // dead storage costs would multiply.
  WithRetriesAccounted(options_.retry, kRetryLabel, attempt, [this] {
    return fmt::format("(WALG_S3_MAX_RETRIES={}, WALNUT_STORAGE_RETRY_TIMEOUT={}): check the S3 "
                       "endpoint {} and the network to it",
                       options_.retry.max_attempts - 1, SettingDuration(options_.retry.budget),
                       EndpointUrl());
  });
}

std::string S3Client::EndpointUrl() const {
  net::Endpoint endpoint = region_.Peek().endpoint;
  return fmt::format("{}://{}{}", endpoint.scheme, endpoint.HostHeader(), endpoint.base_path);
}

Error S3Client::ErrorFor(const S3Call& call, const net::HttpResponse& response) const {
  long status = response.status;
  auto body = ParseErrorBody(response.body);
  std::string s3_detail;
  if (body && !body->code.empty()) {
    s3_detail = ": " + body->code;
    if (!body->message.empty()) s3_detail += ": " + body->message;
  }
  ErrorCode code = ErrorCode::kProtocol;
  bool retryable = false;
  if (status == 404) {
    code = ErrorCode::kNotFound;
  } else if (status == 401 || status == 403 || (body && IsExpiredTokenCode(body->code))) {
    code = ErrorCode::kPermissionDenied;
    s3_detail += fmt::format(" (credentials from {})", credentials_->Describe());
  } else if (status >= 500 || status == 429 || (body && body->code == "RequestTimeout")) {
    // RequestTimeout (400) is S3 closing an upload that stalled on our side: transient, as the
    // AWS SDKs treat it.
    code = ErrorCode::kNetwork;
    retryable = true;
  }
  return Error(
      code,
      fmt::format("s3 {} {} failed: HTTP {}{}{}{}", call.op, Uri(call.key), status, s3_detail,
                  RedirectHint(status), SettingHint(options_, call, status, s3_detail)),
      retryable);
}

}  // namespace walnut::s3
