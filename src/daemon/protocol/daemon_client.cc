#include "daemon/protocol/daemon_client.h"

#include <fmt/format.h>

#include "common/error.h"
#include "daemon/protocol/unix_socket.h"

namespace walnut::daemon {

std::string EncodeRequest(MessageType type, const std::vector<std::string>& args) {
  if (args.empty()) return EncodeMessage(type, "");
  if (args.size() == 1) return EncodeMessage(type, args[0]);
  return EncodeMessage(type, EncodeArgs(args));
}

char SendRequest(const ClientOptions& options, std::string_view message) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  UnixSocket socket = ConnectUnixSocket(
      options.socket_path,
      start + std::chrono::duration_cast<Clock::duration>(options.connection_timeout));
  const Clock::time_point deadline =
      start + std::chrono::duration_cast<Clock::duration>(options.timeout);
  const std::string what = fmt::format("daemon on {}", options.socket_path);
  try {
    socket.WriteAll(message, deadline, what);
    char answer = 0;
    socket.ReadExactly(&answer, 1, deadline, what);
    return answer;
  } catch (const Error& e) {
    if (Clock::now() >= deadline) {
      throw Error(ErrorCode::kNetwork,
                  fmt::format("daemon on {} did not answer within {} (--timeout)",
                              options.socket_path,
                              SecondsText(std::chrono::duration_cast<Clock::duration>(options.timeout))));
    }
    throw;
  }
}

}  // namespace walnut::daemon
