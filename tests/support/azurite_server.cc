#include "support/azurite_server.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <unistd.h>

#include "support/test_config.h"

namespace walnut::testing {
namespace {

std::string EnvFile() {
  if (const char* file = std::getenv("WALNUT_IT_AZURITE_ENV"); file != nullptr && *file != '\0') {
    return file;
  }
  return WALNUT_TEST_AZURITE_ENV_FILE;
}

AzuriteServer Load() {
  std::string file = EnvFile();
  std::ifstream in(file);
  if (!in) {
    throw std::runtime_error(fmt::format(
        "no Azure test server: {} is missing; run the tests through ctest, whose azurite_up "
        "fixture (tests/tools/azurite-server.sh, needs npm ci) writes it, or set "
        "WALNUT_IT_AZURITE_ENV",
        file));
  }
  std::map<std::string, std::string> vars;
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
      value = value.substr(1, value.size() - 2);
    }
    vars[line.substr(0, eq)] = value;
  }
  auto required = [&](const char* name) {
    auto it = vars.find(name);
    if (it == vars.end() || it->second.empty()) {
      throw std::runtime_error(fmt::format("{} lacks {}", file, name));
    }
    return it->second;
  };
  AzuriteServer server;
  server.endpoint = required("WALNUT_IT_AZURE_ENDPOINT");
  server.account = required("WALNUT_IT_AZURE_ACCOUNT");
  server.key = required("WALNUT_IT_AZURE_KEY");
  server.container = required("WALNUT_IT_AZURE_CONTAINER");
  server.sas = required("WALNUT_IT_AZURE_SAS");
  return server;
}

}  // namespace

const AzuriteServer& Azurite() {
  static const AzuriteServer server = Load();
  return server;
}

std::string UniqueAzureRoot(std::string_view what) {
  static std::atomic<int> counter{0};
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return fmt::format("{}-{}-{}-{}", what, getpid(), ms, counter++);
}

azure::AzureOptions AzureTestOptions(std::string_view what) {
  const AzuriteServer& server = Azurite();
  azure::AzureOptions o;
  o.account = server.account;
  o.container = server.container;
  o.root = UniqueAzureRoot(what);
  o.endpoint = server.endpoint;
  o.auth = azure::AzureAuth::kSharedKey;
  o.access_key = SecretString(server.key);
  o.credential_source = "AZURE_STORAGE_ACCESS_KEY";
  o.retry.budget = std::chrono::seconds(10);
  return o;
}

std::map<std::string, std::string> AzureCliSettings(std::string_view what) {
  const AzuriteServer& server = Azurite();
  return {
      {"WALG_AZ_PREFIX", fmt::format("azure://{}/{}", server.container, UniqueAzureRoot(what))},
      {"AZURE_STORAGE_CONNECTION_STRING",
       fmt::format("DefaultEndpointsProtocol=http;AccountName={};AccountKey={};BlobEndpoint={};",
                   server.account, server.key, server.endpoint)},
  };
}

}  // namespace walnut::testing
