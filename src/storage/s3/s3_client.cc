#include "storage/s3/s3_client.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>

#include <fmt/format.h>

#include "common/logging.h"
#include "common/retry.h"
#include "storage/s3/s3_xml.h"

namespace walnut::s3 {

namespace {

bool IsIpLiteral(std::string_view host) {
  if (!host.empty() && host.front() == '[') return true;
  return !host.empty() && std::all_of(host.begin(), host.end(),
                                      [](unsigned char c) { return std::isdigit(c) || c == '.'; });
}

// Virtual-host addressing puts the bucket into the host name, which only works for names that
// are valid DNS labels, for hosts that are names (not IP literals), and, over TLS, for names
// without dots (a wildcard certificate covers one label).
bool NeedsPathStyle(const S3Options& o, const net::Endpoint& ep) {
  if (o.force_path_style || IsIpLiteral(ep.host) || ep.host == "localhost") return true;
  return std::any_of(o.bucket.begin(), o.bucket.end(),
                     [](unsigned char c) { return c == '.' || c == '_' || std::isupper(c); });
}

net::Endpoint EndpointFor(const S3Options& o) {
  if (!o.endpoint.empty()) return net::ParseEndpoint(o.endpoint, "AWS_ENDPOINT");
  net::Endpoint ep;
  ep.scheme = "https";
  ep.host = fmt::format("s3.{}.amazonaws.com", o.region);
  return ep;
}

net::HttpClientOptions HttpOptions(const S3Options& o) {
  net::HttpClientOptions h;
  h.connect_timeout = ConnectTimeoutFor(o);
  h.stall_timeout = StallTimeoutFor(o);
  h.ca_cert_file = o.ca_cert_file;
  return h;
}

// "30s", "1500ms": a duration as the settings spell it.
std::string SettingDuration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return fmt::format("{}s", d.count() / 1000);
  return fmt::format("{}ms", d.count());
}

std::string RedirectHint(long status) {
  if (status == 301 || status == 307) return " (check AWS_REGION and AWS_ENDPOINT)";
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
      endpoint_(EndpointFor(options)),
      path_style_(NeedsPathStyle(options, endpoint_)),
      signer_(Credentials{options.access_key_id, options.secret_access_key, options.session_token},
              options.region),
      http_(HttpOptions(options)) {}

std::string S3Client::Uri(std::string_view full_key) const {
  if (full_key.empty()) return fmt::format("s3://{}", options_.bucket);
  return fmt::format("s3://{}/{}", options_.bucket, full_key);
}

S3Client::Target S3Client::TargetFor(std::string_view full_key,
                                     const net::QueryParams& query) const {
  Target t;
  std::string encoded_key = net::UriEncode(full_key, /*keep_slash=*/true);
  if (path_style_) {
    t.host = endpoint_.HostHeader();
    t.canonical_uri = fmt::format("{}/{}", endpoint_.base_path, options_.bucket);
    if (!full_key.empty()) t.canonical_uri += "/" + encoded_key;
  } else {
    t.host = options_.bucket + "." + endpoint_.HostHeader();
    t.canonical_uri = endpoint_.base_path + "/" + encoded_key;
  }
  std::string origin_host = path_style_ ? endpoint_.HostHeader() : t.host;
  t.url = fmt::format("{}://{}{}", endpoint_.scheme, origin_host, t.canonical_uri);
  std::string q = net::CanonicalQueryString(query);
  if (!q.empty()) t.url += "?" + q;
  return t;
}

net::HttpHeaders S3Client::ObjectCreationHeaders() const {
  net::HttpHeaders h;
  if (!options_.storage_class.empty() && options_.storage_class != "STANDARD") {
    h.emplace_back("x-amz-storage-class", options_.storage_class);
  }
  if (!options_.sse.empty()) {
    h.emplace_back("x-amz-server-side-encryption", options_.sse);
    if (!options_.sse_kms_id.empty()) {
      h.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", options_.sse_kms_id);
    }
  }
  return h;
}

net::HttpResponse S3Client::Send(const S3Call& call, const net::BodySink& sink,
                                 const net::HeadersCallback& on_headers) {
  Target target = TargetFor(call.key, call.query);
  net::HttpRequest request;
  request.method = call.method;
  request.url = target.url;
  request.body = call.body;
  request.stop = call.stop;
  if (call.slow_answer) request.answer_timeout = AnswerTimeoutFor(options_);
  request.headers.emplace_back("Host", target.host);
  request.headers.insert(request.headers.end(), call.headers.begin(), call.headers.end());
  std::string payload_sha256 = call.payload_sha256;
  if (payload_sha256.empty()) {
    payload_sha256 = call.body.empty() ? std::string(kEmptyPayloadSha256) : Sha256Hex(call.body);
  }
  signer_.Sign(request, target.canonical_uri, call.query, payload_sha256,
               std::chrono::system_clock::now());
  if (spdlog::should_log(spdlog::level::trace)) {
    spdlog::trace("s3 request: {}", net::DescribeForLog(request));
  }
  ++stats_.requests;
  net::HttpResponse response = http_.Perform(request, sink, on_headers);
  if (!call.ok_statuses.contains(response.status)) throw ErrorFor(call, response);
  return response;
}

net::HttpResponse S3Client::SendWithRetries(const S3Call& call) {
  net::HttpResponse response;
  Retry([&] { response = Send(call); });
  return response;
}

void S3Client::Retry(const std::function<void()>& attempt) {
  int attempts = 0;
  const auto start = std::chrono::steady_clock::now();
  try {
    WithRetries(options_.retry, kRetryLabel, [&] {
      ++attempts;
      attempt();
    });
  } catch (const Error& e) {
    // Only failures that retrying might have cured get the account of what was tried.
    if (!e.retryable()) throw;
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    throw Error(e.code(),
                fmt::format("{}; gave up after {} attempt{} in {:.1f} s (WALG_S3_MAX_RETRIES={}, "
                            "WALNUT_STORAGE_RETRY_TIMEOUT={}): check the S3 endpoint {} and the "
                            "network to it",
                            e.what(), attempts, attempts == 1 ? "" : "s", elapsed.count(),
                            options_.retry.max_attempts - 1, SettingDuration(options_.retry.budget),
                            EndpointUrl()),
                // Retried here already: callers (wal-fetch, backup-fetch) must not start over,
                // or the time a dead storage costs would multiply (retries are never stacked).
                false);
  }
}

std::string S3Client::EndpointUrl() const {
  return fmt::format("{}://{}{}", endpoint_.scheme, endpoint_.HostHeader(), endpoint_.base_path);
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
  } else if (status == 401 || status == 403) {
    code = ErrorCode::kPermissionDenied;
  } else if (status >= 500 || status == 429 || (body && body->code == "RequestTimeout")) {
    // RequestTimeout (400) is S3 closing an upload that stalled on our side: transient, as the
    // AWS SDKs treat it.
    code = ErrorCode::kNetwork;
    retryable = true;
  }
  return Error(code,
               fmt::format("s3 {} {} failed: HTTP {}{}{}", call.op, Uri(call.key), status,
                           s3_detail, RedirectHint(status)),
               retryable);
}

}  // namespace walnut::s3
