#include "support/private_s3rver.h"

#include <cstdlib>
#include <stdexcept>

#include "support/scripted_http_server.h"
#include "support/test_config.h"
#include "support/test_util.h"

namespace walnut::testing {

PrivateS3rver::PrivateS3rver()
    : port_(RefusingPort()),  // free: bound, then released
      endpoint_("http://127.0.0.1:" + std::to_string(port_)) {
  const std::string command = Script("start") + " 2>&1";
  if (std::system(command.c_str()) != 0) {
    Stop();
    throw std::runtime_error("a private s3rver did not start: " + command);
  }
}

PrivateS3rver::~PrivateS3rver() { Stop(); }

void PrivateS3rver::Stop() const {
  if (std::system((Script("stop") + " >/dev/null 2>&1").c_str()) != 0) {
    // Nothing to do: the server was not up, or its state directory goes with it.
  }
}

std::string PrivateS3rver::Script(const std::string& action) const {
  return "WALNUT_TEST_S3_PORT=" + std::to_string(port_) +
         " WALNUT_TEST_STATE_DIR=" + ShellQuote(state_dir_.str()) + " " +
         ShellQuote(std::string(WALNUT_TEST_SOURCE_DIR) + "/tests/tools/test-servers.sh") + " " +
         action;
}

}  // namespace walnut::testing
