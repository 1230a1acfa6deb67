#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/mutex.h"

namespace walnut::testing {

// A TCP proxy on 127.0.0.1 that forwards to a real server (s3rver) and breaks chosen connections:
// for connection number n (0-based, in accept order) the policy returns how many bytes to relay
// (in both directions together) before resetting it with an RST, or -1 to relay it untouched.
// This is what a flaky network looks like to a client: the commands must either get through by
// retrying or fail with one clear line. Thread-safe; stops and joins on destruction.
class FaultProxy {
 public:
  using Policy = std::function<int64_t(int connection)>;

  FaultProxy(std::string target_host, int target_port, Policy policy);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_.load(); }
  int resets() const { return resets_.load(); }

 private:
  void AcceptLoop();
  void Relay(int client, int64_t budget);

  std::string target_host_;
  int target_port_;
  Policy policy_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> resets_{0};
  std::thread acceptor_;
  Mutex mu_;
  std::vector<std::thread> relays_ GUARDED_BY(mu_);
};

}  // namespace walnut::testing
