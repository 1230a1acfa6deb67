#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/mutex.h"
#include "common/secret_string.h"
#include "net/http_client.h"

namespace walnut::azure {

// A bearer token for Azure Storage from the instance metadata service (IMDS) of an Azure VM or
// of AKS with pod identity: GET IMDS/metadata/identity/oauth2/token?api-version=2018-02-01
// &resource=https://storage.azure.com/[&client_id=ID] with "Metadata: true". The token is kept
// and fetched again when less than five minutes of it are left (or after the storage refused
// it). Thread-safe.
class ManagedIdentityToken {
 public:
  // `imds_endpoint`: "http://169.254.169.254" (tests: a scripted server); `client_id`: a
  // user-assigned identity, "" for the system-assigned one.
  ManagedIdentityToken(std::string imds_endpoint, std::string client_id);

  // The current token (without "Bearer "). Throws Error(kPermissionDenied) with one line naming
  // the endpoint and what to set instead when the service cannot be reached or refuses.
  SecretString Current();
  // Forgets `refused` (the storage answered 401/403 to it) so that Current() asks again; false
  // when a newer token is already there or the last one was fetched less than a minute ago.
  bool Invalidate(const SecretString& refused);

  // The URL the token is asked from, for messages and tests.
  std::string TokenUrl() const;

 private:
  struct Token {
    SecretString value;
    std::chrono::system_clock::time_point expires;
    std::chrono::steady_clock::time_point fetched;
  };
  Token Fetch() REQUIRES(mu_);

  const std::string endpoint_;
  const std::string client_id_;
  net::HttpClient http_;
  Mutex mu_;
  std::optional<Token> token_ GUARDED_BY(mu_);
};

}  // namespace walnut::azure
