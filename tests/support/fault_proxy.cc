#include "support/fault_proxy.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace walnut::testing {
namespace {

void ResetAndClose(int fd) {
  linger l{1, 0};  // close() now sends an RST instead of a FIN
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

bool WriteAll(int fd, const char* data, size_t n) {
  for (size_t off = 0; off < n;) {
    ssize_t w = ::send(fd, data + off, n - off, MSG_NOSIGNAL);
    if (w <= 0) return false;
    off += static_cast<size_t>(w);
  }
  return true;
}

int ConnectTo(const std::string& host, int port) {
  int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(server);
    return -1;
  }
  return server;
}

}  // namespace

FaultProxy::FaultProxy(std::string target_host, int target_port, Decider decider)
    : target_host_(std::move(target_host)),
      target_port_(target_port),
      decider_(std::move(decider)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("bind/listen failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FaultProxy::FaultProxy(std::string target_host, int target_port, Policy policy)
    : FaultProxy(std::move(target_host), target_port,
                 [policy = std::move(policy)](int n, std::string_view) {
                   int64_t budget = policy(n);
                   return budget < 0 ? ProxyFault::None() : ProxyFault::ResetAfter(budget);
                 }) {}

FaultProxy::~FaultProxy() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> relays;
  {
    MutexLock lock(mu_);
    relays.swap(relays_);
  }
  for (auto& t : relays) t.join();
}

void FaultProxy::AcceptLoop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    int n = connections_++;
    MutexLock lock(mu_);
    relays_.emplace_back([this, client, n] { Serve(client, n); });
  }
}

void FaultProxy::Serve(int client, int connection) {
  // The first bytes of the first request decide the fault (clients speak first in HTTP).
  std::string first;
  char buf[64 * 1024];
  while (!stop_ && first.empty()) {
    pollfd p{client, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::read(client, buf, sizeof buf);
    if (n <= 0) return (void)::close(client);
    first.assign(buf, static_cast<size_t>(n));
  }
  ProxyFault fault = decider_(connection, first);
  if (fault.kind != ProxyFault::Kind::kNone) ++faults_;
  if (fault.kind == ProxyFault::Kind::kSilent) {
    while (!stop_) {
      pollfd p{client, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      if (::read(client, buf, sizeof buf) <= 0) break;
    }
    return (void)::close(client);
  }
  int server = ConnectTo(target_host_, target_port_);
  if (server < 0) return ResetAndClose(client);
  Relay(client, server, std::move(first), fault);
}

void FaultProxy::Relay(int client, int server, std::string first, const ProxyFault& fault) {
  using Kind = ProxyFault::Kind;
  const bool reset = fault.kind == Kind::kResetAfter;
  const bool stall = fault.kind == Kind::kStallAfter;
  const bool close_response = fault.kind == Kind::kCloseResponseAfter;
  int64_t relayed = 0;   // both directions (kResetAfter)
  int64_t answered = 0;  // from the server (kCloseResponseAfter)
  auto over_budget = [&] {
    ++resets_;
    ResetAndClose(client);
    ResetAndClose(server);
  };
  // The bytes read before the decision go first, within the reset budget too.
  size_t pass = reset || stall ? static_cast<size_t>(std::min<int64_t>(fault.bytes, first.size()))
                               : first.size();
  if (!WriteAll(server, first.data(), pass)) return (void)(::close(client), ::close(server));
  relayed += static_cast<int64_t>(pass);
  if (pass < first.size() && reset) return over_budget();

  char buf[64 * 1024];
  bool open = true;
  while (open && !stop_) {
    if (frozen_ || (stall && relayed >= fault.bytes)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    if (::poll(fds, 2, 100) <= 0) continue;
    for (int i = 0; i < 2 && open; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const bool from_server = i == 1;
      int from = from_server ? server : client;
      int to = from_server ? client : server;
      size_t want = sizeof buf;
      if (reset || stall)
        want = static_cast<size_t>(std::min<int64_t>(want, fault.bytes - relayed));
      if (want == 0 && stall) break;
      if (close_response && from_server) {
        want = static_cast<size_t>(std::min<int64_t>(want, fault.bytes - answered));
      }
      if (want == 0 && reset) return over_budget();
      if (want == 0) {
        // kCloseResponseAfter: an orderly close in the middle of the answer. What the client
        // still sends is read until it closes too: closing with unread data would send a reset.
        ::shutdown(client, SHUT_WR);
        for (int waits = 0; waits < 20 && !stop_; ++waits) {
          pollfd p{client, POLLIN, 0};
          if (::poll(&p, 1, 50) > 0 && ::read(client, buf, sizeof buf) <= 0) break;
        }
        ::close(client);
        ::close(server);
        return;
      }
      ssize_t n = ::read(from, buf, want);
      if (n <= 0 || !WriteAll(to, buf, static_cast<size_t>(n))) {
        open = false;
        break;
      }
      relayed += n;
      if (from_server) answered += n;
    }
  }
  ::close(client);
  ::close(server);
}

int FixtureS3Port() {
  const char* endpoint = std::getenv("WALNUT_IT_S3_ENDPOINT");
  if (!endpoint) throw std::runtime_error("WALNUT_IT_S3_ENDPOINT is not set: run through ctest");
  return EndpointPort(endpoint);
}

int EndpointPort(const std::string& endpoint) {
  return std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
}

}  // namespace walnut::testing
