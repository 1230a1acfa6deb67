#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "storage/gcs/gcs_options.h"
#include "support/test_util.h"

namespace walnut::testing {

// The scripted GCS server (tests/tools/gcs-server.py: the JSON API calls Walnut makes, an OAuth
// token endpoint that checks RS256 JWTs, a metadata server; it rejects malformed requests),
// started on a free port of 127.0.0.1 as a child of the test process (which it does not outlive)
// and stopped at destruction. It serves the buckets "walnut-it" and "walnut-other" and trusts
// one service account whose key this class makes (OpenSSL, RSA 2048): its key file is
// credentials_file(). Not thread-safe.
class GcsServer {
 public:
  struct Options {
    int page_size = 1000;       // objects.list entries per page at most
    int token_lifetime = 3600;  // seconds an access token lives
    bool metadata = true;       // serve the metadata server's token endpoint
  };
  GcsServer() : GcsServer(Options{}) {}
  explicit GcsServer(Options options);
  ~GcsServer();
  GcsServer(const GcsServer&) = delete;
  GcsServer& operator=(const GcsServer&) = delete;

  const std::string& endpoint() const { return endpoint_; }  // "http://127.0.0.1:<port>"
  std::string host_port() const;                             // "127.0.0.1:<port>"
  // A service-account key file the server accepts (token_uri points at it).
  std::string credentials_file() const { return (dir_.path() / "service-account.json").string(); }
  // One the server rejects: the same account, another key.
  std::string wrong_credentials_file() const { return (dir_.path() / "wrong-key.json").string(); }
  // An authorized_user file it accepts.
  std::string authorized_user_file() const {
    return (dir_.path() / "authorized-user.json").string();
  }

  // POST /_control/fault: e.g. {"match": "chunk", "status": 503, "keep_bytes": 262144}.
  void Fault(const nlohmann::json& fault) const;
  void ClearFaults() const;
  void ExpireTokens() const;
  // {"counts": {...}, "rejections": [...], "sessions": n}.
  nlohmann::json Stats() const;
  // The malformed requests the server refused (400); a correct client makes none.
  std::vector<std::string> Rejections() const;
  // The server's record of an object: {"csek": sha or null, "size", "metadata"}; null if absent.
  nlohmann::json Object(std::string_view bucket, std::string_view name) const;

 private:
  nlohmann::json Control(std::string_view method, std::string_view path,
                         const std::string& body = "") const;

  TempDir dir_;
  int pid_ = -1;
  std::string endpoint_;
};

// A server shared by the tests of one process (started on first use).
GcsServer& SharedGcsServer();

// A root below bucket walnut-it that no other test or run shares: "<what>-<unique>".
std::string UniqueGcsRoot(std::string_view what);

// Options for a GcsStorage on `server` under a fresh root, with its service account.
gcs::GcsOptions GcsTestOptions(const GcsServer& server, std::string_view what);

// The settings of a walnut command on the shared server under a fresh root: WALG_GS_PREFIX,
// GOOGLE_APPLICATION_CREDENTIALS (a copy of the key in `dir`, mode 0600, so that whoever owns
// `dir` can read it) and STORAGE_EMULATOR_HOST.
std::map<std::string, std::string> GcsCliSettings(std::string_view what,
                                                  const std::filesystem::path& dir);

}  // namespace walnut::testing
