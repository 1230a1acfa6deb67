// Gives the integration tests their endpoints and paths when ctest has not set them: the values
// CMake wrote into test_config.h, and the RGW fixture's WALNUT_IT_RGW_* variables from the file
// its start script wrote (tests/tools/ceph-rgw.sh); and installs the settings registry. Runs before
// main(), so every test and fixture sees them.

#include <cstdlib>
#include <fstream>
#include <string>

#include "cli/setting_registry.h"
#include "support/test_config.h"

namespace {

// Sets each `export WALNUT_IT_RGW_<X>=<value>` line of `path` not already in the environment.
// No file (RGW not started, or this binary run outside ctest) sets nothing: the RGW cases skip.
void LoadRgwVariables(const char* path) {
  if (*path == '\0' || std::getenv("WALNUT_IT_RGW_ENDPOINT") != nullptr) return;
  std::ifstream in(path);
  const std::string prefix = "export WALNUT_IT_RGW_";
  for (std::string line; std::getline(in, line);) {
    size_t eq = line.find('=');
    if (line.rfind(prefix, 0) != 0 || eq == std::string::npos) continue;
    const size_t name_start = std::string("export ").size();
    setenv(line.substr(name_start, eq - name_start).c_str(), line.substr(eq + 1).c_str(), 0);
  }
}

struct IntegrationDefaults {
  IntegrationDefaults() {
    // 0: a value already in the environment wins (a developer pointing at another server).
    setenv("WALNUT_BINARY", WALNUT_TEST_BINARY, 0);
    setenv("WALNUT_SOURCE_DIR", WALNUT_TEST_SOURCE_DIR, 0);
    setenv("WALNUT_IT_S3_ENDPOINT", WALNUT_TEST_S3_ENDPOINT, 0);
    setenv("WALNUT_IT_S3_BUCKET", WALNUT_TEST_S3_BUCKET, 0);
    LoadRgwVariables(WALNUT_TEST_RGW_ENV_FILE);
    // Tests that open storage in-process read every setting, as the binary does.
    walnut::InstallSettingSpecs();
  }
};

const IntegrationDefaults kDefaults;

}  // namespace
