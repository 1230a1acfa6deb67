#include "support/gcs_server.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <memory>
#include <stdexcept>

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/http_client.h"
#include "net/url.h"
#include "support/test_config.h"

namespace walnut::testing {
namespace {

constexpr std::string_view kClientEmail = "walnut-test@walnut-it.iam.gserviceaccount.com";

struct RsaKey {
  std::string pem;  // PKCS#8
  std::string n_hex;
  uint64_t e = 0;
};

RsaKey MakeRsaKey() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), &EVP_PKEY_free);
  if (!key) throw std::runtime_error("EVP_RSA_gen failed");
  RsaKey out;
  BIGNUM* n = nullptr;
  BIGNUM* e = nullptr;
  if (EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
      EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
    throw std::runtime_error("cannot read the RSA key's parameters");
  }
  char* hex = BN_bn2hex(n);
  out.n_hex = hex;
  OPENSSL_free(hex);
  out.e = BN_get_word(e);
  BN_free(n);
  BN_free(e);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  out.pem.assign(data, static_cast<size_t>(size));
  BIO_free(bio);
  return out;
}

std::string ServiceAccountJson(const std::string& pem, const std::string& token_uri) {
  return nlohmann::json{{"type", "service_account"},
                        {"project_id", "walnut-it"},
                        {"private_key_id", "0123456789abcdef"},
                        {"private_key", pem},
                        {"client_email", kClientEmail},
                        {"client_id", "1234567890"},
                        {"token_uri", token_uri}}
      .dump(2);
}

}  // namespace

GcsServer::GcsServer(Options options) {
  RsaKey key = MakeRsaKey();
  RsaKey other = MakeRsaKey();
  std::string script = std::string(WALNUT_TEST_SOURCE_DIR) + "/tests/tools/gcs-server.py";
  std::vector<std::string> args = {
      "python3",          script,
      "--bucket",         "walnut-it",
      "--bucket",         "walnut-other",
      "--jwt-key",        fmt::format("{}:{}:{}", key.n_hex, key.e, kClientEmail),
      "--refresh-token",  "walnut-client:walnut-secret:walnut-refresh",
      "--page-size",      std::to_string(options.page_size),
      "--token-lifetime", std::to_string(options.token_lifetime)};
  if (options.metadata) args.push_back("--metadata");
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    dup2(out[1], STDOUT_FILENO);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Debian's python3 (the standard library is all the script needs).
    execv("/usr/bin/python3", argv.data());
    _exit(127);
  }
  close(out[1]);
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
  close(out[0]);
  if (!line.starts_with("PORT ")) {
    throw std::runtime_error("tests/tools/gcs-server.py did not start (is python3 installed?)");
  }
  int port = std::stoi(line.substr(5));
  endpoint_ = fmt::format("http://127.0.0.1:{}", port);
  std::string token_uri = endpoint_ + "/token";
  WriteFile(credentials_file(), ServiceAccountJson(key.pem, token_uri));
  WriteFile(wrong_credentials_file(), ServiceAccountJson(other.pem, token_uri));
  WriteFile(authorized_user_file(), nlohmann::json{{"type", "authorized_user"},
                                                   {"client_id", "walnut-client"},
                                                   {"client_secret", "walnut-secret"},
                                                   {"refresh_token", "walnut-refresh"},
                                                   {"token_uri", token_uri}}
                                        .dump());
}

GcsServer::~GcsServer() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

std::string GcsServer::host_port() const { return endpoint_.substr(7); }

nlohmann::json GcsServer::Control(std::string_view method, std::string_view path,
                                  const std::string& body) const {
  net::HttpClient http(net::HttpClientOptions{});
  net::HttpRequest request;
  request.method = std::string(method);
  request.url = endpoint_ + std::string(path);
  request.body = AsBytes(body);
  net::HttpResponse response = http.Perform(request);
  if (response.status == 404) return nullptr;
  if (response.status != 200) {
    throw std::runtime_error(fmt::format("gcs-server {} answered {}", path, response.status));
  }
  return nlohmann::json::parse(response.body);
}

void GcsServer::Fault(const nlohmann::json& fault) const {
  Control("POST", "/_control/fault", fault.dump());
}

void GcsServer::ClearFaults() const { Control("POST", "/_control/clear-faults"); }

void GcsServer::ExpireTokens() const { Control("POST", "/_control/expire-tokens"); }

nlohmann::json GcsServer::Stats() const { return Control("GET", "/_control/stats"); }

std::vector<std::string> GcsServer::Rejections() const {
  return Stats()["rejections"].get<std::vector<std::string>>();
}

nlohmann::json GcsServer::Object(std::string_view bucket, std::string_view name) const {
  return Control("GET", fmt::format("/_control/object?bucket={}&name={}", bucket,
                                    net::UriEncode(name, false)));
}

GcsServer& SharedGcsServer() {
  static GcsServer* server = new GcsServer();  // never destroyed: the child dies with us
  return *server;
}

std::string UniqueGcsRoot(std::string_view what) {
  static std::atomic<int> counter{0};
  return fmt::format("{}-{}-{}-{}", what, getpid(),
                     std::chrono::steady_clock::now().time_since_epoch().count(), counter++);
}

gcs::GcsOptions GcsTestOptions(const GcsServer& server, std::string_view what) {
  gcs::GcsOptions o;
  o.bucket = "walnut-it";
  o.root = UniqueGcsRoot(what) + "/";
  o.endpoint = server.endpoint();
  o.credentials_file = server.credentials_file();
  o.metadata_endpoint = server.endpoint();
  o.chunk_size = 256u << 10;  // small, so tests exercise resumable uploads
  o.read_chunk_size = 100000;
  o.retry_budget = std::chrono::seconds(10);
  return o;
}

std::map<std::string, std::string> GcsCliSettings(std::string_view what,
                                                  const std::filesystem::path& dir) {
  GcsServer& server = SharedGcsServer();
  std::filesystem::path key = dir / "gcs-service-account.json";
  WriteFile(key, ReadFile(server.credentials_file()));
  std::filesystem::permissions(
      key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return {{"WALG_GS_PREFIX", fmt::format("gs://walnut-it/{}", UniqueGcsRoot(what))},
          {"GOOGLE_APPLICATION_CREDENTIALS", key.string()},
          {"STORAGE_EMULATOR_HOST", server.host_port()}};
}

}  // namespace walnut::testing
