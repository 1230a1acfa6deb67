#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>

#include "common/error.h"
#include "net/http_client.h"
#include "net/url.h"
#include "storage/gcs/gcs_credentials.h"
#include "storage/gcs/gcs_options.h"

namespace walnut::gcs {

// Counters for tests and diagnostics. Thread-safe.
struct GcsStats {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> simple_uploads{0};
  std::atomic<uint64_t> resumable_uploads{0};
  std::atomic<uint64_t> chunks_sent{0};
  std::atomic<uint64_t> upload_resumes{0};  // chunks re-sent from where the server's Range said
  std::atomic<uint64_t> ranged_gets{0};
  std::atomic<uint64_t> list_pages{0};
  std::atomic<uint64_t> deletes{0};
};

// One JSON API request.
struct GcsCall {
  std::string op;      // for messages: "objects.get", "objects.insert", ...
  std::string method;  // GET, POST, PUT, DELETE
  std::string url;     // complete (ObjectUrl, UploadUrl, a resumable session's URI)
  std::string object;  // the full object name, for messages; "" for bucket-level calls
  net::HttpHeaders headers;
  ConstByteSpan body;
  std::set<long> ok_statuses = {200};
  // Carries the customer-supplied key headers when GCS_ENCRYPTION_KEY is set (every request on
  // one object: metadata, media, uploads and deletes; not listings).
  bool object_request = false;
  std::stop_token stop;
};

// The point in time an operation (GCS_CONTEXT_TIMEOUT) must end by.
using Deadline = std::chrono::steady_clock::time_point;

// Addressing, authentication (a bearer token from TokenProvider), customer-supplied encryption
// keys, retries and error mapping for one bucket; GcsStorage, GcsWriter and GcsReader build on
// it. Thread-safe.
class GcsClient {
 public:
  explicit GcsClient(const GcsOptions& options);

  // Sends one attempt with a bearer token. Returns the response when its status is in
  // call.ok_statuses, else throws ErrorFor(). A 401 renews the token and sends once more.
  net::HttpResponse Send(const GcsCall& call, const net::BodySink& sink = nullptr,
                         const net::HeadersCallback& on_headers = nullptr);
  // Send() under Retry().
  net::HttpResponse SendWithRetries(const GcsCall& call, Deadline deadline);
  // Calls `attempt` until it returns, throws an error that is not retryable, or the attempts
  // (GCS_MAX_RETRIES), the request budget (WALNUT_STORAGE_RETRY_TIMEOUT) or the operation's
  // deadline (GCS_CONTEXT_TIMEOUT) run out; the last error then says what was tried.
  void Retry(const std::function<void()>& attempt, Deadline deadline);
  // now + GCS_CONTEXT_TIMEOUT.
  Deadline OperationDeadline() const;

  // kNotFound (404 of an object), kPermissionDenied (401/403, naming the credentials),
  // kFailedPrecondition (404 of the bucket), retryable kNetwork (5xx, 429, 408), kProtocol else.
  Error ErrorFor(const GcsCall& call, const net::HttpResponse& response) const;

  // {endpoint}/storage/v1/b/{bucket}/o/{object}?{query}: metadata, media (alt=media), delete.
  std::string ObjectUrl(std::string_view object, const net::QueryParams& query = {}) const;
  // {endpoint}/storage/v1/b/{bucket}/o?{query}: objects.list.
  std::string ListUrl(const net::QueryParams& query) const;
  // {endpoint}/upload/storage/v1/b/{bucket}/o?{query}: objects.insert with uploadType.
  std::string UploadUrl(const net::QueryParams& query) const;
  // "gs://bucket/object".
  std::string Uri(std::string_view object) const;

  const GcsOptions& options() const { return options_; }
  GcsStats& stats() { return stats_; }
  TokenProvider& tokens() { return *tokens_; }

 private:
  net::HttpResponse SendOnce(const GcsCall& call, const SecretString& token,
                             const net::BodySink& sink, const net::HeadersCallback& on_headers);

  const GcsOptions& options_;
  std::unique_ptr<TokenProvider> tokens_;
  net::HttpClient http_;
  GcsStats stats_;
};

}  // namespace walnut::gcs
