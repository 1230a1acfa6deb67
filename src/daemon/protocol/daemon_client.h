#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/protocol/protocol.h"

namespace walnut::daemon {

struct ClientOptions {
  std::string socket_path;
  // The whole request, from the connection to the answer (WAL-G's client: --timeout, 60s).
  std::chrono::nanoseconds timeout = std::chrono::seconds(60);
  // Connecting alone (WAL-G's client: --connection-timeout, 5s).
  std::chrono::nanoseconds connection_timeout = std::chrono::seconds(5);
};

// A request's message as WAL-G's client builds it: no argument, a header alone; one argument, the
// argument as the body; more, the arguments encoded (EncodeArgs).
std::string EncodeRequest(MessageType type, const std::vector<std::string>& args);

// Sends `message` to the daemon and returns the type byte it answered. Throws one line naming the
// socket when the daemon is not there, closes the connection without an answer, or does not
// answer within options.timeout.
char SendRequest(const ClientOptions& options, std::string_view message);

}  // namespace walnut::daemon
