#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/mutex.h"

namespace walnut::testing {

// What the proxy does to one connection.
struct ProxyFault {
  enum class Kind {
    kNone,                // relay it untouched
    kResetAfter,          // relay `bytes` (both directions together), then reset it (RST)
    kCloseResponseAfter,  // relay the request, and `bytes` of the response, then close it (FIN):
                          // within the header block, the headers are cut short
    kSilent,              // accept, read what comes, never answer nor connect to the server
    kStallAfter,          // relay `bytes` (both directions together), then relay nothing more but
                          // keep the connection open: a peer that hangs
  };
  Kind kind = Kind::kNone;
  int64_t bytes = 0;

  static ProxyFault None() { return {}; }
  static ProxyFault ResetAfter(int64_t n) { return {Kind::kResetAfter, n}; }
  static ProxyFault CloseResponseAfter(int64_t n) { return {Kind::kCloseResponseAfter, n}; }
  static ProxyFault Silent() { return {Kind::kSilent, 0}; }
  static ProxyFault StallAfter(int64_t n) { return {Kind::kStallAfter, n}; }
};

// A TCP proxy on 127.0.0.1 that forwards to a real server (s3rver) and breaks chosen connections,
// as a flaky network or a dying endpoint does: the commands must either get through by retrying or
// fail with one clear line. A decider picks the fault of each connection from its number (0-based,
// in accept order) and the start of its first request (what the client sent in its first
// write, e.g. "GET /bucket/key HTTP/1.1..."). Thread-safe; stops and joins on destruction.
class FaultProxy {
 public:
  using Decider = std::function<ProxyFault(int connection, std::string_view request_head)>;
  // The older form: how many bytes to relay (both directions together) before a reset, or -1 to
  // relay the connection untouched.
  using Policy = std::function<int64_t(int connection)>;

  FaultProxy(std::string target_host, int target_port, Decider decider);
  FaultProxy(std::string target_host, int target_port, Policy policy);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const { return port_; }
  // From now on relays nothing more, in either direction, but keeps every connection open: a
  // server that hangs (or a network that silently drops everything) behind a live connection.
  void Freeze() { frozen_ = true; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_.load(); }
  int resets() const { return resets_.load(); }
  // Connections that got a fault other than kNone.
  int faults() const { return faults_.load(); }

 private:
  void AcceptLoop();
  void Serve(int client, int connection);
  void Relay(int client, int server, std::string first, const ProxyFault& fault);

  std::string target_host_;
  int target_port_;
  Decider decider_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> frozen_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> resets_{0};
  std::atomic<int> faults_{0};
  std::thread acceptor_;
  Mutex mu_;
  std::vector<std::thread> relays_ GUARDED_BY(mu_);
};

// The port of the fixture's s3rver ($WALNUT_IT_S3_ENDPOINT), for a proxy in front of it.
int FixtureS3Port();
// The port of an endpoint URL such as "http://127.0.0.1:14570" (the RGW's AWS_ENDPOINT).
int EndpointPort(const std::string& endpoint);

}  // namespace walnut::testing
