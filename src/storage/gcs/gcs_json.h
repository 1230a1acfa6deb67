#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/secret_string.h"

namespace walnut::gcs {

// The JSON documents of Google Cloud Storage's JSON API and of Google's OAuth endpoints that
// Walnut reads. Every parser takes untrusted bytes (a server's answer, a user's file) and throws
// Error(kProtocol) naming what is wrong, never crashes (tests/fuzz/gcs_json_fuzz.cc).

// An object resource (https://cloud.google.com/storage/docs/json_api/v1/objects#resource), the
// fields Walnut uses.
struct ObjectResource {
  std::string name;        // the full object name in the bucket
  uint64_t size = 0;       // "size" is a decimal string in the JSON API
  std::string generation;  // decimal string; pins reads to one version of the object
  std::chrono::system_clock::time_point updated{};
  std::map<std::string, std::string> metadata;  // custom metadata
};

// One page of objects.list (https://cloud.google.com/storage/docs/json_api/v1/objects/list).
struct ListPage {
  std::vector<ObjectResource> items;
  std::vector<std::string> prefixes;  // with a delimiter: the "directories" of the level
  std::string next_page_token;        // "" on the last page
};

ObjectResource ParseObjectResource(std::string_view json);
ListPage ParseListPage(std::string_view json);

// "message (reason)" from an error answer {"error": {"code", "message", "errors": [{"reason"}]}},
// or a short excerpt of a body that is not one; "" for an empty body.
std::string ErrorDetail(std::string_view body);

// An OAuth token endpoint's (or the metadata server's) answer:
// {"access_token": "...", "expires_in": 3599, "token_type": "Bearer"}.
struct AccessToken {
  SecretString token;
  std::chrono::seconds expires_in{0};
};
AccessToken ParseAccessToken(std::string_view json);

// A credentials file as Google's client libraries read it (GOOGLE_APPLICATION_CREDENTIALS):
// "type" service_account (client_email, private_key, private_key_id, token_uri) or
// authorized_user (client_id, client_secret, refresh_token; token_uri optional).
struct CredentialsFile {
  std::string type;
  std::string client_email;
  std::string private_key_id;
  SecretString private_key;  // PEM
  std::string token_uri;     // default https://oauth2.googleapis.com/token
  std::string client_id;
  SecretString client_secret;
  SecretString refresh_token;
};
// Throws kInvalidArgument naming `path` and the missing or malformed field (never a value).
CredentialsFile ParseCredentialsFile(std::string_view json, std::string_view path);

}  // namespace walnut::gcs
