#include "support/azurite_server.h"

#include <atomic>
#include <chrono>
#include <cstdlib>

#include <fmt/format.h>
#include <unistd.h>

#include "support/fixture_env.h"
#include "support/test_config.h"

namespace walnut::testing {
namespace {

AzuriteServer Load() {
  FixtureEnv env("no Azure test server", "WALNUT_IT_AZURITE_ENV", WALNUT_TEST_AZURITE_ENV_FILE,
                 "run the tests through ctest, whose azurite_up fixture "
                 "(tests/tools/azurite-server.sh, needs npm ci) writes it");
  AzuriteServer server;
  server.endpoint = env.Required("WALNUT_IT_AZURE_ENDPOINT");
  server.account = env.Required("WALNUT_IT_AZURE_ACCOUNT");
  server.key = env.Required("WALNUT_IT_AZURE_KEY");
  server.container = env.Required("WALNUT_IT_AZURE_CONTAINER");
  server.sas = env.Required("WALNUT_IT_AZURE_SAS");
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
