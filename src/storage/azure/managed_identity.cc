#include "storage/azure/managed_identity.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/retry.h"
#include "net/url.h"

namespace walnut::azure {
namespace {

constexpr std::string_view kApiVersion = "2018-02-01";
constexpr std::string_view kResource = "https://storage.azure.com/";
// Renewed this long before it expires, so no request goes out with a token about to lapse.
constexpr auto kRefreshMargin = std::chrono::minutes(5);

net::HttpClientOptions ImdsHttpOptions() {
  net::HttpClientOptions o;
  // Off Azure, 169.254.169.254 usually drops packets: give up quickly.
  o.connect_timeout = std::chrono::seconds(2);
  o.stall_timeout = std::chrono::seconds(5);
  o.max_buffered_body = 1u << 20;
  return o;
}

Error NoToken(const std::string& url, std::string_view why) {
  return Error(ErrorCode::kPermissionDenied,
               fmt::format("no Azure credentials: AZURE_STORAGE_ACCESS_KEY, AZURE_STORAGE_SAS_TOKEN "
                           "and AZURE_STORAGE_CONNECTION_STRING are unset, and the managed "
                           "identity token from {} failed: {}; set one of them, or give this "
                           "host a managed identity with access to the storage account",
                           url, why));
}

// expires_on / expires_in come as strings from IMDS and as numbers from some proxies.
std::optional<int64_t> NumberField(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    return std::stoll(s);
  }
  return std::nullopt;
}

std::string WithoutTrailingSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

ManagedIdentityToken::ManagedIdentityToken(std::string imds_endpoint, std::string client_id)
    : endpoint_(WithoutTrailingSlash(std::move(imds_endpoint))),
      client_id_(std::move(client_id)),
      http_(ImdsHttpOptions()) {}

std::string ManagedIdentityToken::TokenUrl() const {
  net::QueryParams q = {{"api-version", std::string(kApiVersion)},
                        {"resource", std::string(kResource)}};
  if (!client_id_.empty()) q.emplace_back("client_id", client_id_);
  return fmt::format("{}/metadata/identity/oauth2/token?{}", endpoint_,
                     net::CanonicalQueryString(q));
}

ManagedIdentityToken::Token ManagedIdentityToken::Fetch() {
  const std::string url = TokenUrl();
  net::HttpRequest request;
  request.method = "GET";
  request.url = url;
  request.headers = {{"Metadata", "true"}};
  net::HttpResponse response;
  RetryPolicy policy{.max_attempts = 3, .base_delay = std::chrono::milliseconds(200),
                     .max_delay = std::chrono::seconds(2), .budget = std::chrono::seconds(20)};
  try {
    WithRetries(policy, "managed identity token", [&] {
      response = http_.Perform(request);
      if (response.status >= 500 || response.status == 429) {
        throw Error(ErrorCode::kNetwork, fmt::format("HTTP {}", response.status), true);
      }
    });
  } catch (const Error& e) {
    throw NoToken(url, e.what());
  }
  if (response.status != 200) {
    std::string detail;
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    if (body.is_object() && body.contains("error_description") &&
        body["error_description"].is_string()) {
      detail = ": " + body["error_description"].get<std::string>();
    }
    throw NoToken(url, fmt::format("HTTP {}{}", response.status, detail));
  }
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (!body.is_object() || !body.contains("access_token") || !body["access_token"].is_string() ||
      body["access_token"].get_ref<const std::string&>().empty()) {
    throw NoToken(url, "the answer has no access_token");
  }
  Token token;
  token.value = SecretString(body["access_token"].get<std::string>());
  token.fetched = std::chrono::steady_clock::now();
  const auto now = std::chrono::system_clock::now();
  if (auto on = NumberField(body, "expires_on")) {
    token.expires = std::chrono::system_clock::time_point(std::chrono::seconds(*on));
  } else if (auto in = NumberField(body, "expires_in")) {
    token.expires = now + std::chrono::seconds(*in);
  } else {
    throw NoToken(url, "the answer has neither expires_on nor expires_in");
  }
  return token;
}

SecretString ManagedIdentityToken::Current() {
  MutexLock lock(mu_);
  const auto now = std::chrono::system_clock::now();
  if (!token_ || token_->expires - kRefreshMargin <= now) token_ = Fetch();
  return token_->value;
}

bool ManagedIdentityToken::Invalidate(const SecretString& refused) {
  MutexLock lock(mu_);
  if (!token_ || token_->value.Reveal() != refused.Reveal()) return token_.has_value();
  if (std::chrono::steady_clock::now() - token_->fetched < std::chrono::minutes(1)) return false;
  token_.reset();
  return true;
}

}  // namespace walnut::azure
