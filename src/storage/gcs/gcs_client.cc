#include "storage/gcs/gcs_client.h"

#include <algorithm>

#include <fmt/format.h>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include "common/base64.h"
#include "common/retry.h"
#include "storage/gcs/gcs_json.h"

namespace walnut::gcs {
namespace {

constexpr std::string_view kKeyHeader = "x-goog-encryption-key";

// A quarter of the request budget (1 s to 60 s): a server that accepts a connection and then
// says nothing is tried three times within the budget.
std::chrono::milliseconds StallTimeout(const GcsOptions& o) {
  return std::clamp<std::chrono::milliseconds>(o.retry_budget / 4, std::chrono::seconds(1),
                                               std::chrono::seconds(60));
}

net::HttpClientOptions HttpOptions(const GcsOptions& o) {
  net::HttpClientOptions h;
  h.stall_timeout = StallTimeout(o);
  h.connect_timeout =
      std::min<std::chrono::milliseconds>(h.stall_timeout, std::chrono::seconds(10));
  h.ca_cert_file = o.ca_cert_file;
  // A listing page of 1000 objects with metadata stays far below this.
  h.max_buffered_body = 16u << 20;
  return h;
}

std::string SettingDuration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return fmt::format("{}s", d.count() / 1000);
  return fmt::format("{}ms", d.count());
}

}  // namespace

GcsClient::GcsClient(const GcsOptions& options)
    : options_(options),
      tokens_(std::make_unique<TokenProvider>(TokenProvider::Options{
          options.credentials_file, options.metadata_endpoint,
          std::min<std::chrono::milliseconds>(options.retry_budget, std::chrono::seconds(30)),
          options.ca_cert_file})),
      http_(HttpOptions(options)) {}

std::string GcsClient::ObjectUrl(std::string_view object, const net::QueryParams& query) const {
  std::string url =
      fmt::format("{}/storage/v1/b/{}/o/{}", options_.endpoint,
                  net::UriEncode(options_.bucket, false), net::UriEncode(object, false));
  if (!query.empty()) url += "?" + net::CanonicalQueryString(query);
  return url;
}

std::string GcsClient::ListUrl(const net::QueryParams& query) const {
  std::string url = fmt::format("{}/storage/v1/b/{}/o", options_.endpoint,
                                net::UriEncode(options_.bucket, false));
  if (!query.empty()) url += "?" + net::CanonicalQueryString(query);
  return url;
}

std::string GcsClient::UploadUrl(const net::QueryParams& query) const {
  return fmt::format("{}/upload/storage/v1/b/{}/o?{}", options_.endpoint,
                     net::UriEncode(options_.bucket, false), net::CanonicalQueryString(query));
}

std::string GcsClient::Uri(std::string_view object) const {
  return fmt::format("gs://{}/{}", options_.bucket, object);
}

Deadline GcsClient::OperationDeadline() const {
  return std::chrono::steady_clock::now() + options_.operation_timeout;
}

net::HttpResponse GcsClient::SendOnce(const GcsCall& call, const SecretString& token,
                                      const net::BodySink& sink,
                                      const net::HeadersCallback& on_headers) {
  net::HttpRequest request;
  request.method = call.method;
  request.url = call.url;
  request.body = call.body;
  request.stop = call.stop;
  request.headers = call.headers;
  request.headers.emplace_back("Authorization", "Bearer " + token.Reveal());
  if (call.object_request && !options_.encryption_key.empty()) {
    const std::string& key = options_.encryption_key.Reveal();
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
    request.headers.emplace_back("x-goog-encryption-algorithm", "AES256");
    request.headers.emplace_back(std::string(kKeyHeader), Base64Encode(key));
    request.headers.emplace_back(
        "x-goog-encryption-key-sha256",
        Base64Encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest)));
    request.masked_headers.emplace_back(kKeyHeader);
  }
  if (spdlog::should_log(spdlog::level::trace)) {
    spdlog::trace("gcs request: {}", net::DescribeForLog(request));
  }
  ++stats_.requests;
  try {
    return http_.Perform(request, sink, on_headers);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNetwork) throw;
    // Name the operation and the object, not only the URL.
    throw Error(e.code(), fmt::format("gcs {} {}: {}", call.op, Uri(call.object), e.what()),
                e.retryable());
  }
}

net::HttpResponse GcsClient::Send(const GcsCall& call, const net::BodySink& sink,
                                  const net::HeadersCallback& on_headers) {
  net::HttpResponse response = SendOnce(call, tokens_->Token(), sink, on_headers);
  if (response.status == 401 && !call.ok_statuses.contains(401)) {
    // The token may have been revoked or expired early: one more try with a fresh one.
    tokens_->Invalidate();
    response = SendOnce(call, tokens_->Token(), sink, on_headers);
  }
  if (!call.ok_statuses.contains(response.status)) throw ErrorFor(call, response);
  return response;
}

net::HttpResponse GcsClient::SendWithRetries(const GcsCall& call, Deadline deadline) {
  net::HttpResponse response;
  Retry([&] { response = Send(call); }, deadline);
  return response;
}

void GcsClient::Retry(const std::function<void()>& attempt, Deadline deadline) {
  RetryPolicy policy;
  policy.max_attempts = options_.max_attempts;
  policy.budget = options_.retry_budget;
  policy.max_delay =
      std::min<std::chrono::milliseconds>(std::chrono::seconds(10), options_.retry_budget / 10);
  WithRetriesAccounted(
      policy, "gcs transient failure",
      [&] {
        if (std::chrono::steady_clock::now() >= deadline) {
          throw Error(ErrorCode::kNetwork,
                      fmt::format("gcs operation on {} ran out of time (GCS_CONTEXT_TIMEOUT={} s)",
                                  Uri(""), options_.operation_timeout.count() / 1000));
        }
        attempt();
      },
      [this] {
        return fmt::format(
            "(GCS_MAX_RETRIES={}, WALNUT_STORAGE_RETRY_TIMEOUT={}): check the endpoint {} and "
            "the network to it",
            options_.max_attempts - 1, SettingDuration(options_.retry_budget), options_.endpoint);
      });
}

Error GcsClient::ErrorFor(const GcsCall& call, const net::HttpResponse& response) const {
  long status = response.status;
  std::string detail = ErrorDetail(response.body);
  std::string target = call.object.empty() ? Uri("") : Uri(call.object);
  std::string what = fmt::format("gcs {} {} failed: HTTP {}{}{}", call.op, target, status,
                                 detail.empty() ? "" : ": ", detail);
  if (status == 404 && detail.find("bucket does not exist") != std::string::npos) {
    return Error(ErrorCode::kFailedPrecondition,
                 fmt::format("{}; the bucket {} does not exist: check WALG_GS_PREFIX", what,
                             options_.bucket));
  }
  if (status == 404) return Error(ErrorCode::kNotFound, what);
  if (status == 401 || status == 403) {
    return Error(ErrorCode::kPermissionDenied,
                 fmt::format("{} (credentials: {}); check that this account may {} objects in "
                             "bucket {}",
                             what, tokens_->Describe(), call.method == "GET" ? "read" : "write",
                             options_.bucket));
  }
  if (status >= 500 || status == 429 || status == 408) {
    return Error(ErrorCode::kNetwork, what, /*retryable=*/true);
  }
  return Error(ErrorCode::kProtocol, what);
}

}  // namespace walnut::gcs
