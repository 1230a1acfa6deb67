#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/mutex.h"
#include "common/secret_string.h"
#include "net/http_client.h"
#include "storage/gcs/gcs_json.h"

namespace walnut::gcs {

// The scope Walnut asks for: read, write and delete objects (no bucket administration).
inline constexpr std::string_view kStorageScope =
    "https://www.googleapis.com/auth/devstorage.read_write";

// A signed JWT assertion for the OAuth 2.0 JWT bearer grant (RFC 7523) as Google's token endpoint
// takes it from a service account: header {"alg":"RS256","typ":"JWT","kid":private_key_id},
// claims {iss: client_email, scope, aud: token_uri, iat, exp: iat + 1 h}, signed with the
// account's RSA key (RSASSA-PKCS1-v1_5 with SHA-256, OpenSSL). Throws kInvalidArgument naming
// `path` when the key does not load (never the key).
std::string SignedJwtAssertion(const CredentialsFile& account, std::string_view path,
                               std::chrono::system_clock::time_point now);

// Where the OAuth access tokens come from, in the Google client libraries' order:
// GOOGLE_APPLICATION_CREDENTIALS (a service account's key: a JWT exchanged at its token_uri; an
// authorized_user file: its refresh token exchanged), else the GCE/GKE metadata server. A token
// is kept and renewed once less than a quarter of its life (at most 5 minutes) is left, so a long
// command never sends an expired one. Thread-safe: concurrent callers share one renewal.
class TokenProvider {
 public:
  struct Options {
    std::string credentials_file;              // empty: the metadata server
    std::string metadata_endpoint;             // "http://metadata.google.internal"
    std::chrono::milliseconds timeout{30000};  // one exchange, connection included
    std::string ca_cert_file;
  };
  explicit TokenProvider(Options options);

  // A valid access token. Throws kPermissionDenied naming the credentials file (or the metadata
  // server) when the exchange is refused, kNetwork (retryable) when the endpoint cannot be
  // reached, kInvalidArgument for an unreadable or malformed file.
  SecretString Token();
  // Drops the kept token, so the next Token() fetches a new one (after a 401).
  void Invalidate();
  // "GOOGLE_APPLICATION_CREDENTIALS /path/key.json", "the metadata server
  // http://metadata.google.internal (no GOOGLE_APPLICATION_CREDENTIALS)": for messages.
  const std::string& Describe() const { return describe_; }

 private:
  AccessToken Fetch();
  AccessToken FetchFromFile();
  AccessToken FetchFromMetadataServer();
  AccessToken Exchange(const std::string& token_uri, const std::string& form);

  const Options options_;
  const std::string describe_;
  net::HttpClient http_;
  Mutex mu_;
  SecretString token_ GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point renew_at_ GUARDED_BY(mu_);
};

}  // namespace walnut::gcs
