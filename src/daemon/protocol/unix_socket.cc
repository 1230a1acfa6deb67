#include "daemon/protocol/unix_socket.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include "common/error.h"
#include "daemon/protocol/protocol.h"

namespace walnut::daemon {
namespace {

using Clock = std::chrono::steady_clock;

int MillisecondsUntil(Deadline deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return 0;
  return static_cast<int>(std::min<int64_t>(left.count(), 60'000));
}

Error NetworkError(std::string_view what, std::string_view problem) {
  return Error(ErrorCode::kNetwork, fmt::format("{}: {}", what, problem));
}

void SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    ThrowSystemError("cannot make socket non-blocking", "");
  }
}

}  // namespace

std::string SecondsText(Clock::duration duration) {
  return fmt::format("{:g}s",
                     static_cast<double>(
                         std::chrono::duration_cast<std::chrono::milliseconds>(duration).count()) /
                         1000);
}

UnixSocket::UnixSocket(int fd) : fd_(fd) {
  try {
    SetNonBlocking(fd_);
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

UnixSocket::~UnixSocket() {
  if (fd_ >= 0) ::close(fd_);
}

UnixSocket::UnixSocket(UnixSocket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

UnixSocket& UnixSocket::operator=(UnixSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

void UnixSocket::Wait(short events, Deadline deadline, std::string_view what) {
  while (true) {
    int wait_ms = MillisecondsUntil(deadline);
    if (wait_ms == 0) throw NetworkError(what, "timed out");
    pollfd p{.fd = fd_, .events = events, .revents = 0};
    int n = ::poll(&p, 1, wait_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowSystemError("cannot wait for socket", "");
    }
    if (n > 0) return;  // ready, or an error/hangup the next call reports
  }
}

bool UnixSocket::ReadExactly(char* out, size_t size, Deadline deadline, std::string_view what,
                             bool eof_ok) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::recv(fd_, out + done, size - done, 0);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) {
      if (done == 0 && eof_ok) return false;
      throw NetworkError(what, fmt::format("connection closed after {} of {} bytes", done, size));
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      Wait(POLLIN, deadline, what);
      continue;
    }
    throw NetworkError(what, std::strerror(errno));
  }
  return true;
}

void UnixSocket::WriteAll(std::string_view data, Deadline deadline, std::string_view what) {
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      Wait(POLLOUT, deadline, what);
      continue;
    }
    throw NetworkError(what, std::strerror(errno));
  }
}

sockaddr_un UnixSocketAddress(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("daemon socket path '{}' is {} bytes; a Unix socket path has 1 to {}",
                            path, path.size(), sizeof(address.sun_path) - 1));
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  return address;
}

UnixSocket ConnectUnixSocket(const std::string& path, Deadline deadline) {
  const sockaddr_un address = UnixSocketAddress(path);
  while (true) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) ThrowSystemError("cannot create a Unix socket for", path);
    UnixSocket socket(fd);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
      return socket;
    }
    int err = errno;
    if (err == ENOENT) {
      throw Error(ErrorCode::kNotFound,
                  fmt::format("daemon socket {} does not exist: is `walnut daemon {}` running?",
                              path, path));
    }
    if (err == ECONNREFUSED) {
      throw Error(ErrorCode::kNetwork,
                  fmt::format("no daemon listens on {} (connection refused): start `walnut "
                              "daemon {}`",
                              path, path));
    }
    // A full backlog: the daemon is there but busy.
    if (err != EAGAIN && err != EINTR) throw SystemError("cannot connect to daemon socket", path, err);
    if (MillisecondsUntil(deadline) == 0) {
      // Retryable: a daemon is there, only busy.
      throw Error(ErrorCode::kNetwork,
                  fmt::format("daemon on {} accepted no connection before the timeout", path),
                  /*retryable=*/true);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::optional<Message> ReadMessage(UnixSocket& socket, Deadline deadline, std::string_view what) {
  char header_bytes[kHeaderSize];
  if (!socket.ReadExactly(header_bytes, kHeaderSize, deadline, what, /*eof_ok=*/true)) {
    return std::nullopt;
  }
  Header header = DecodeHeader(std::string_view(header_bytes, kHeaderSize));
  Message message{.type = header.type, .body = std::string(header.body_size, '\0')};
  if (header.body_size > 0) {
    socket.ReadExactly(message.body.data(), header.body_size, deadline, what);
  }
  return message;
}

}  // namespace walnut::daemon
