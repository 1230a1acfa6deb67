#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <sys/un.h>

namespace walnut::daemon {

using Deadline = std::chrono::steady_clock::time_point;

// A connected Unix stream socket (non-blocking underneath), closed on destruction. Every read and
// write waits at most until the deadline it is given; none raises SIGPIPE. Not thread-safe.
class UnixSocket {
 public:
  // Takes `fd`, a connected socket, and makes it non-blocking.
  explicit UnixSocket(int fd);
  ~UnixSocket();
  UnixSocket(UnixSocket&& other) noexcept;
  UnixSocket& operator=(UnixSocket&& other) noexcept;
  UnixSocket(const UnixSocket&) = delete;
  UnixSocket& operator=(const UnixSocket&) = delete;

  int fd() const { return fd_; }

  // Reads exactly `size` bytes into `out`. Returns false when the peer closed the connection
  // before the first byte and `eof_ok`; throws kNetwork when it closes later (or at once without
  // `eof_ok`), on a socket error, and when `deadline` passes. `what` names the bytes in the error
  // ("the answer of daemon /run/x.sock").
  bool ReadExactly(char* out, size_t size, Deadline deadline, std::string_view what,
                   bool eof_ok = false);
  // Writes all of `data`; throws kNetwork on a socket error (the peer gone) or at the deadline.
  void WriteAll(std::string_view data, Deadline deadline, std::string_view what);

 private:
  // Waits until the socket is readable (POLLIN) or writable (POLLOUT); throws at the deadline.
  void Wait(short events, Deadline deadline, std::string_view what);

  int fd_ = -1;
};

// The address of the Unix socket at `path`. Throws kInvalidArgument when the path is empty or too
// long for a socket address.
sockaddr_un UnixSocketAddress(const std::string& path);

// Connects to the Unix socket at `path`. Throws kInvalidArgument when the path is too long for a
// socket address, kNotFound when nothing is there, kNetwork when nothing listens (refused), and
// kNetwork marked retryable when the listener's backlog stays full until `deadline` (a daemon is
// there, busy).
UnixSocket ConnectUnixSocket(const std::string& path, Deadline deadline);

// A message read from a socket: its type and body.
struct Message {
  char type = 0;
  std::string body;
};

// Reads one message (header, then at most kMaxBodySize bytes of body) before `deadline`. Returns
// nullopt when the peer closed the connection between messages; throws kProtocol for a bad header,
// kNetwork for a connection closed inside a message, a socket error or the deadline.
std::optional<Message> ReadMessage(UnixSocket& socket, Deadline deadline, std::string_view what);

// The seconds left until `deadline`, for error lines ("1.5s").
std::string SecondsText(std::chrono::steady_clock::duration duration);

}  // namespace walnut::daemon
