#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>

#include "common/error.h"
#include "net/http_client.h"
#include "net/url.h"
#include "storage/azure/azure_options.h"
#include "storage/azure/managed_identity.h"

namespace walnut::azure {

// User metadata travels in headers named x-ms-meta-<name> (Put Blob, Put Block List, and the
// answers of Get Blob and Get Blob Properties).
inline constexpr std::string_view kMetadataHeaderPrefix = "x-ms-meta-";

// Azure metadata names must be C# identifiers (letters, digits, '_'), and ours are [a-z0-9-]
// (PutOptions::metadata): '-' travels as '_'.
std::string MetadataHeaderName(std::string_view name);
// The user metadata in a response's headers, names without the prefix and with '-' back.
std::map<std::string, std::string> UserMetadata(const net::HttpResponse& response);

// Counters for tests and diagnostics. Thread-safe.
struct AzureStats {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> single_puts{0};
  std::atomic<uint64_t> blocks_put{0};
  std::atomic<uint64_t> block_lists{0};
  std::atomic<uint64_t> ranged_gets{0};
  std::atomic<uint64_t> list_pages{0};
  std::atomic<uint64_t> deletes{0};
};

// One request: an operation on the container (blob "") or on a blob.
struct AzureCall {
  std::string op;  // for messages: "Get Blob", "Put Block", ...
  std::string method;
  std::string blob;  // the full blob name in the container (root included); "" = the container
  net::QueryParams query;
  net::HttpHeaders headers;  // besides x-ms-date, x-ms-version and the authorization
  ConstByteSpan body;
  std::set<long> ok_statuses = {200};
  std::stop_token stop;
};

// Timeouts derived from the options: the stall timeout is a quarter of the retry budget (1 s to
// 60 s), capped by AZURE_TRY_TIMEOUT; the connect timeout is that but at most 10 s.
std::chrono::milliseconds StallTimeoutFor(const AzureOptions& options);
std::chrono::milliseconds ConnectTimeoutFor(const AzureOptions& options);

// Addressing, authorization and error mapping for one container; the storage operations build on
// it. Thread-safe.
class AzureClient {
 public:
  // Throws Error(kInvalidArgument) naming the setting when the endpoint or the key is malformed.
  explicit AzureClient(const AzureOptions& options);

  // Sends one attempt. Returns the response when its status is in call.ok_statuses; otherwise
  // throws the mapped error (ErrorFor). Network failures throw kNetwork (retryable). A managed
  // identity token the storage refuses is fetched again and the request sent once more.
  net::HttpResponse Send(const AzureCall& call, const net::BodySink& sink = nullptr,
                         const net::HeadersCallback& on_headers = nullptr);
  // Calls `attempt` under the retry policy; a last retryable error says how many attempts were
  // made in how long and what to check.
  void Retry(const std::function<void()>& attempt);
  net::HttpResponse SendWithRetries(const AzureCall& call);

  // kNotFound (404, a blob), kInvalidArgument (404 ContainerNotFound: the prefix names a
  // container that does not exist), kPermissionDenied (401/403, naming the credential setting),
  // retryable kNetwork (5xx, 429, 408), kProtocol else. The message names the operation, the
  // blob, the status and Azure's code and first message line.
  Error ErrorFor(const AzureCall& call, const net::HttpResponse& response) const;

  // "azure://container/blob" (or "azure://container" for blob "").
  std::string Uri(std::string_view blob) const;
  // The request URL (without the SAS token) and the path the signature covers.
  struct Target {
    std::string url;
    std::string path;
  };
  Target TargetFor(std::string_view blob, const net::QueryParams& query) const;

  const AzureOptions& options() const { return options_; }
  AzureStats& stats() { return stats_; }

 private:
  void Authorize(net::HttpRequest& request, const Target& target, const AzureCall& call,
                 SecretString* bearer);

  const AzureOptions options_;
  net::Endpoint endpoint_;
  std::string key_;  // the decoded account key (SharedKey only)
  std::unique_ptr<ManagedIdentityToken> identity_;
  net::HttpClient http_;
  AzureStats stats_;
};

}  // namespace walnut::azure
