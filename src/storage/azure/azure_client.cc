#include "storage/azure/azure_client.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/retry.h"
#include "net/http_date.h"
#include "storage/azure/azure_xml.h"
#include "storage/azure/shared_key.h"

namespace walnut::azure {
namespace {

net::HttpClientOptions HttpOptions(const AzureOptions& o) {
  net::HttpClientOptions h;
  h.connect_timeout = ConnectTimeoutFor(o);
  h.stall_timeout = StallTimeoutFor(o);
  h.max_buffered_body = std::max<size_t>(o.read_chunk_size, 16u << 20) + (1u << 20);
  return h;
}

// What to check when the storage refuses the credentials.
std::string CredentialHint(const AzureOptions& o, std::string_view code) {
  switch (o.auth) {
    case AzureAuth::kSharedKey:
      return fmt::format(" (check {}: it must be a key of storage account {})",
                         o.credential_source, o.account);
    case AzureAuth::kSas:
      if (code == "AuthorizationPermissionMismatch" || code == "AuthorizationResourceTypeMismatch") {
        return fmt::format(" (the token in {} does not allow this operation: it needs read, "
                           "write, delete and list permissions on the container)",
                           o.credential_source);
      }
      return fmt::format(" (check {}: it may have expired or belong to another account than {})",
                         o.credential_source, o.account);
    case AzureAuth::kManagedIdentity:
      return fmt::format(" (the managed identity has no role on storage account {} that allows "
                         "this, such as Storage Blob Data Contributor)",
                         o.account);
  }
  return "";
}

}  // namespace

std::string MetadataHeaderName(std::string_view name) {
  std::string out = std::string(kMetadataHeaderPrefix) + std::string(name);
  std::replace(out.begin() + static_cast<std::ptrdiff_t>(kMetadataHeaderPrefix.size()), out.end(),
               '-', '_');
  return out;
}

std::map<std::string, std::string> UserMetadata(const net::HttpResponse& response) {
  std::map<std::string, std::string> metadata;
  for (const auto& [name, value] : response.headers) {
    if (name.starts_with(kMetadataHeaderPrefix)) {
      std::string key = name.substr(kMetadataHeaderPrefix.size());
      std::replace(key.begin(), key.end(), '_', '-');
      metadata[key] = value;
    }
  }
  return metadata;
}

std::chrono::milliseconds StallTimeoutFor(const AzureOptions& o) {
  using std::chrono::seconds;
  std::chrono::milliseconds stall = seconds(60);
  if (o.retry.budget.count() > 0) {
    stall = std::clamp<std::chrono::milliseconds>(o.retry.budget / 4, seconds(1), seconds(60));
  }
  if (o.try_timeout.count() > 0) stall = std::min(stall, o.try_timeout);
  return stall;
}

std::chrono::milliseconds ConnectTimeoutFor(const AzureOptions& o) {
  return std::min<std::chrono::milliseconds>(StallTimeoutFor(o), std::chrono::seconds(10));
}

AzureClient::AzureClient(const AzureOptions& options)
    : options_(options),
      endpoint_(net::ParseEndpoint(options.endpoint, "the Azure blob endpoint (AZURE_ENDPOINT_SUFFIX "
                                                     "or BlobEndpoint)")),
      http_(HttpOptions(options)) {
  if (options_.auth == AzureAuth::kSharedKey) {
    try {
      key_ = Base64Decode(options_.access_key.Reveal());
    } catch (const Error&) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{} is not a storage account key: it must be base64, as the Azure "
                              "portal shows it under Access keys",
                              options_.credential_source));
    }
  }
  if (options_.auth == AzureAuth::kManagedIdentity) {
    identity_ = std::make_unique<ManagedIdentityToken>(options_.imds_endpoint, options_.client_id);
  }
}

std::string AzureClient::Uri(std::string_view blob) const {
  if (blob.empty()) return fmt::format("azure://{}", options_.container);
  return fmt::format("azure://{}/{}", options_.container, blob);
}

AzureClient::Target AzureClient::TargetFor(std::string_view blob,
                                           const net::QueryParams& query) const {
  Target t;
  t.path = fmt::format("{}/{}", endpoint_.base_path, options_.container);
  if (!blob.empty()) t.path += "/" + net::UriEncode(blob, /*keep_slash=*/true);
  t.url = fmt::format("{}://{}{}", endpoint_.scheme, endpoint_.HostHeader(), t.path);
  std::string q = net::CanonicalQueryString(query);
  if (!q.empty()) t.url += "?" + q;
  return t;
}

void AzureClient::Authorize(net::HttpRequest& request, const Target& target,
                            const AzureCall& call, SecretString* bearer) {
  switch (options_.auth) {
    case AzureAuth::kSharedKey: {
      std::string to_sign =
          StringToSign(call.method, request.headers, call.body.size(),
                       CanonicalizedResource(options_.account, target.path, call.query));
      request.headers.emplace_back(
          "Authorization",
          fmt::format("SharedKey {}:{}", options_.account,
                      Base64Encode(HmacSha256(key_, to_sign))));
      break;
    }
    case AzureAuth::kSas:
      request.url += (request.url.find('?') == std::string::npos ? "?" : "&") +
                     options_.sas_token.Reveal();
      break;
    case AzureAuth::kManagedIdentity:
      *bearer = identity_->Current();
      request.headers.emplace_back("Authorization", "Bearer " + bearer->Reveal());
      break;
  }
}

net::HttpResponse AzureClient::Send(const AzureCall& call, const net::BodySink& sink,
                                    const net::HeadersCallback& on_headers) {
  for (int attempt = 0;; ++attempt) {
    Target target = TargetFor(call.blob, call.query);
    net::HttpRequest request;
    request.method = call.method;
    request.url = target.url;
    request.body = call.body;
    request.stop = call.stop;
    request.headers = call.headers;
    request.headers.emplace_back("x-ms-date", net::FormatHttpDate(std::chrono::system_clock::now()));
    request.headers.emplace_back("x-ms-version", options_.api_version);
    SecretString bearer;
    Authorize(request, target, call, &bearer);
    if (spdlog::should_log(spdlog::level::trace)) {
      // The SAS token is in the URL: never log it.
      net::HttpRequest shown = request;
      shown.url = target.url;
      spdlog::trace("azure request: {}", net::DescribeForLog(shown));
    }
    ++stats_.requests;
    net::HttpResponse response = http_.Perform(request, sink, on_headers);
    if (call.ok_statuses.contains(response.status)) return response;
    // Refusals come before any body byte reaches the sink: sending again is safe.
    if (attempt == 0 && options_.auth == AzureAuth::kManagedIdentity &&
        (response.status == 401 || response.status == 403) && identity_->Invalidate(bearer)) {
      spdlog::info("azure {} {}: the managed identity token was refused; fetched a new one",
                   call.op, Uri(call.blob));
      continue;
    }
    throw ErrorFor(call, response);
  }
}

net::HttpResponse AzureClient::SendWithRetries(const AzureCall& call) {
  net::HttpResponse response;
  Retry([&] { response = Send(call); });
  return response;
}

void AzureClient::Retry(const std::function<void()>& attempt) {
  WithRetriesAccounted(options_.retry, "transient failure", attempt, [this] {
    return fmt::format("(WALNUT_STORAGE_RETRY_TIMEOUT={}): check the Azure endpoint {} and the "
                       "network to it",
                       SettingDuration(options_.retry.budget), options_.endpoint);
  });
}

Error AzureClient::ErrorFor(const AzureCall& call, const net::HttpResponse& response) const {
  const long status = response.status;
  std::string code;
  std::string message;
  if (auto body = ParseAzureError(response.body)) {
    code = body->code;
    message = body->message;
  }
  // A HEAD answer has no body: the code comes in a header.
  if (code.empty()) {
    if (auto header = response.Header("x-ms-error-code")) code = std::string(*header);
  }
  std::string detail;
  if (!code.empty()) detail = ": " + code;
  if (!message.empty()) detail += ": " + message;
  ErrorCode error_code = ErrorCode::kProtocol;
  bool retryable = false;
  std::string hint;
  if (status == 404 && code == "ContainerNotFound") {
    error_code = ErrorCode::kInvalidArgument;
    hint = fmt::format(" (container '{}' does not exist in storage account {}; create it, or fix "
                       "WALG_AZ_PREFIX)",
                       options_.container, options_.account);
  } else if (status == 404) {
    error_code = ErrorCode::kNotFound;
  } else if (status == 401 || status == 403) {
    error_code = ErrorCode::kPermissionDenied;
    hint = CredentialHint(options_, code);
  } else if (status >= 500 || status == 429 || status == 408) {
    error_code = ErrorCode::kNetwork;
    retryable = true;
  }
  return Error(error_code,
               fmt::format("azure {} {} failed: HTTP {}{}{}", call.op, Uri(call.blob), status,
                           detail, hint),
               retryable);
}

}  // namespace walnut::azure
