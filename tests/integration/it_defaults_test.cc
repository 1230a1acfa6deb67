// Gives the integration tests their endpoints and paths when ctest has not set them: the values
// CMake wrote into test_config.h; and installs the settings registry. Runs before main(), so every
// test and fixture sees them.

#include <cstdlib>

#include "cli/setting_registry.h"
#include "support/test_config.h"

namespace {

struct IntegrationDefaults {
  IntegrationDefaults() {
    // 0: a value already in the environment wins (a developer pointing at another server).
    setenv("WALNUT_BINARY", WALNUT_TEST_BINARY, 0);
    setenv("WALNUT_SOURCE_DIR", WALNUT_TEST_SOURCE_DIR, 0);
    setenv("WALNUT_IT_S3_ENDPOINT", WALNUT_TEST_S3_ENDPOINT, 0);
    setenv("WALNUT_IT_S3_BUCKET", WALNUT_TEST_S3_BUCKET, 0);
    // Tests that open storage in-process read every setting, as the binary does.
    walnut::InstallSettingSpecs();
  }
};

const IntegrationDefaults kDefaults;

}  // namespace
