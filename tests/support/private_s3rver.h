#pragma once

#include <string>

#include "support/test_util.h"

namespace walnut::testing {

// An s3rver of the test's own, on a free port with its state in a temporary directory, started
// by tests/tools/test-servers.sh (the recipe of the shared fixture) and stopped at destruction.
// For a test that keeps s3rver busy for minutes (s3rver is one Node.js process: while it deletes
// thousands of keys it answers nothing else), so that the tests ctest runs beside it keep the
// shared server responsive. The bucket is the fixture's (WALNUT_TEST_S3_BUCKET). Not thread-safe.
class PrivateS3rver {
 public:
  // Throws std::runtime_error (with the script's output) when the server does not come up.
  PrivateS3rver();
  ~PrivateS3rver();
  PrivateS3rver(const PrivateS3rver&) = delete;
  PrivateS3rver& operator=(const PrivateS3rver&) = delete;

  const std::string& endpoint() const { return endpoint_; }  // "http://127.0.0.1:<port>"

 private:
  std::string Script(const std::string& action) const;
  void Stop() const;

  int port_;
  TempDir state_dir_;  // declared before the stop in ~PrivateS3rver needs it, removed after
  std::string endpoint_;
};

}  // namespace walnut::testing
