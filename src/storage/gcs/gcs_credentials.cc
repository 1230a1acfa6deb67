#include "storage/gcs/gcs_credentials.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "common/error.h"
#include "net/url.h"

namespace walnut::gcs {
namespace {

constexpr size_t kMaxCredentialsFile = 64 << 10;
constexpr std::string_view kMetadataTokenPath =
    "/computeMetadata/v1/instance/service-accounts/default/token";

std::string DescribeSource(const TokenProvider::Options& o) {
  if (!o.credentials_file.empty()) {
    return fmt::format("GOOGLE_APPLICATION_CREDENTIALS {}", o.credentials_file);
  }
  return fmt::format("the metadata server {} (GOOGLE_APPLICATION_CREDENTIALS is not set)",
                     o.metadata_endpoint);
}

net::HttpClientOptions HttpOptions(const TokenProvider::Options& o) {
  net::HttpClientOptions h;
  h.connect_timeout = std::min<std::chrono::milliseconds>(o.timeout, std::chrono::seconds(10));
  h.stall_timeout = o.timeout;
  h.ca_cert_file = o.ca_cert_file;
  h.max_buffered_body = 1 << 20;
  return h;
}

std::string ReadCredentialsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("GOOGLE_APPLICATION_CREDENTIALS {}: cannot read it: {}; give the path "
                            "of a service-account key file readable by this user",
                            path, std::strerror(err)));
  }
  std::string text(kMaxCredentialsFile + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxCredentialsFile) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("GOOGLE_APPLICATION_CREDENTIALS {}: larger than 64 KiB, not a key "
                            "file",
                            path));
  }
  return text;
}

std::string FormEncode(std::initializer_list<std::pair<std::string_view, std::string_view>> kv) {
  std::string out;
  for (const auto& [name, value] : kv) {
    if (!out.empty()) out += '&';
    out += net::UriEncode(name, false);
    out += '=';
    out += net::UriEncode(value, false);
  }
  return out;
}

void Wipe(std::string& s) {
  if (!s.empty()) explicit_bzero(s.data(), s.size());
  s.clear();
}

}  // namespace

std::string SignedJwtAssertion(const CredentialsFile& account, std::string_view path,
                               std::chrono::system_clock::time_point now) {
  int64_t iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!account.private_key_id.empty()) header["kid"] = account.private_key_id;
  nlohmann::json claims = {{"iss", account.client_email},
                           {"scope", kStorageScope},
                           {"aud", account.token_uri},
                           {"iat", iat},
                           {"exp", iat + 3600}};
  std::string signing_input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());

  auto bad_key = [&](std::string_view problem) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("GOOGLE_APPLICATION_CREDENTIALS {}: {}; download a new key for the "
                             "service account {}",
                             path, problem, account.client_email));
  };
  const std::string& pem = account.private_key.Reveal();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) throw Error(ErrorCode::kInternal, "BIO_new_mem_buf failed");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) throw bad_key("its private_key is not a PEM private key");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_owner(key, &EVP_PKEY_free);
  if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA) throw bad_key("its private_key is not an RSA key");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  size_t sig_len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &sig_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    throw bad_key("signing with its private_key failed");
  }
  std::string signature(sig_len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &sig_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    throw bad_key("signing with its private_key failed");
  }
  signature.resize(sig_len);
  return signing_input + "." + Base64UrlEncode(signature);
}

TokenProvider::TokenProvider(Options options)
    : options_(std::move(options)),
      describe_(DescribeSource(options_)),
      http_(HttpOptions(options_)) {}

SecretString TokenProvider::Token() {
  MutexLock lock(mu_);
  if (token_.empty() || std::chrono::steady_clock::now() >= renew_at_) {
    auto started = std::chrono::steady_clock::now();
    AccessToken fresh = Fetch();
    // Renew with a quarter of the life left, at most 5 minutes before the end.
    auto margin = std::min<std::chrono::steady_clock::duration>(
        std::chrono::duration_cast<std::chrono::milliseconds>(fresh.expires_in) / 4,
        std::chrono::minutes(5));
    renew_at_ = started + fresh.expires_in - margin;
    token_ = std::move(fresh.token);
  }
  return token_;
}

void TokenProvider::Invalidate() {
  MutexLock lock(mu_);
  token_ = SecretString();
}

AccessToken TokenProvider::Fetch() {
  return options_.credentials_file.empty() ? FetchFromMetadataServer() : FetchFromFile();
}

AccessToken TokenProvider::FetchFromFile() {
  std::string text = ReadCredentialsFile(options_.credentials_file);
  CredentialsFile file = ParseCredentialsFile(text, options_.credentials_file);
  Wipe(text);
  std::string form;
  if (file.type == "service_account") {
    std::string jwt =
        SignedJwtAssertion(file, options_.credentials_file, std::chrono::system_clock::now());
    form = FormEncode(
        {{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"}, {"assertion", jwt}});
    Wipe(jwt);
  } else {
    form = FormEncode({{"grant_type", "refresh_token"},
                       {"client_id", file.client_id},
                       {"client_secret", file.client_secret.Reveal()},
                       {"refresh_token", file.refresh_token.Reveal()}});
  }
  AccessToken token = Exchange(file.token_uri, form);
  Wipe(form);
  return token;
}

AccessToken TokenProvider::Exchange(const std::string& token_uri, const std::string& form) {
  net::HttpRequest request;
  request.method = "POST";
  request.url = token_uri;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  request.body = AsBytes(form);
  net::HttpResponse response;
  try {
    response = http_.Perform(request);
  } catch (const Error& e) {
    throw Error(ErrorCode::kNetwork,
                fmt::format("GCS credentials: the token endpoint {} of {} cannot be reached: {}",
                            token_uri, describe_, e.what()),
                /*retryable=*/true);
  }
  if (response.status == 200) return ParseAccessToken(response.body);
  bool transient = response.status >= 500 || response.status == 429;
  throw Error(transient ? ErrorCode::kNetwork : ErrorCode::kPermissionDenied,
              fmt::format("GCS credentials: the token endpoint {} refused {}: HTTP {}: {}{}",
                          token_uri, describe_, response.status, ErrorDetail(response.body),
                          transient ? ""
                                    : "; check that the key is current (not deleted or "
                                      "disabled) and the system clock is right"),
              transient);
}

AccessToken TokenProvider::FetchFromMetadataServer() {
  net::HttpRequest request;
  request.method = "GET";
  request.url = options_.metadata_endpoint + std::string(kMetadataTokenPath);
  request.headers = {{"Metadata-Flavor", "Google"}};
  net::HttpResponse response;
  try {
    response = http_.Perform(request);
  } catch (const Error& e) {
    // Off Google Cloud the metadata server does not exist: say what else to do, and do not retry
    // (a host that does not resolve will not start to).
    throw Error(ErrorCode::kPermissionDenied,
                fmt::format("no GCS credentials: GOOGLE_APPLICATION_CREDENTIALS is not set and the "
                            "metadata server {} did not answer ({}); set "
                            "GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or run "
                            "on GCE/GKE with a service account",
                            options_.metadata_endpoint, e.what()));
  }
  if (response.status == 200 && response.Header("metadata-flavor") != "Google") {
    throw Error(ErrorCode::kPermissionDenied,
                fmt::format("no GCS credentials: {} answered without Metadata-Flavor: Google, so "
                            "it is not a metadata server; set GOOGLE_APPLICATION_CREDENTIALS",
                            options_.metadata_endpoint));
  }
  if (response.status == 200) return ParseAccessToken(response.body);
  bool transient = response.status >= 500 || response.status == 429;
  throw Error(transient ? ErrorCode::kNetwork : ErrorCode::kPermissionDenied,
              fmt::format("GCS credentials: the metadata server {} gave no token: HTTP {}: {}; "
                          "check the instance has a service account with a storage scope, or set "
                          "GOOGLE_APPLICATION_CREDENTIALS",
                          options_.metadata_endpoint, response.status, ErrorDetail(response.body)),
              transient);
}

}  // namespace walnut::gcs
