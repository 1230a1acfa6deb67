#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/mutex.h"

namespace walnut::testing {

// One request as the server received it.
struct RecordedRequest {
  std::string method;
  std::string target;                                        // path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  std::optional<std::string> Header(std::string_view lower_name) const;
  std::string Path() const { return target.substr(0, target.find('?')); }
  std::string Query() const;  // "" when there is none
};

// What the server does with one request.
struct ScriptedResponse {
  enum class Fault {
    kNone,
    kResetMidBody,        // send the headers and body_bytes_before_fault bytes, then a TCP reset
    kStallMidBody,        // send the headers and body_bytes_before_fault bytes, then nothing
    kCloseMidBody,        // send the headers and body_bytes_before_fault bytes, then close (FIN)
    kCutHeaders,          // send header_bytes_before_fault bytes of the status line and headers,
                          // then close (FIN): what libcurl takes for a complete response
    kCloseWithoutAnswer,  // read the request and close the connection
    kNeverAnswer,         // read the request, then keep the connection open without a byte
  };
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Length is added
  std::string body;
  Fault fault = Fault::kNone;
  size_t body_bytes_before_fault = 0;
  size_t header_bytes_before_fault = 0;
  // Time to think between reading the whole request and sending the first byte of the answer.
  std::chrono::milliseconds think{0};
};

// A loopback HTTP/1.1 server for tests (the pgBackRest harness idea): it listens on 127.0.0.1 on a
// free port, answers each request with the next scripted response (or, when the script is empty,
// with the handler's answer), records every request, and closes the connection after each answer.
// Connections are served one at a time. Thread-safe.
class ScriptedHttpServer {
 public:
  using Handler = std::function<ScriptedResponse(const RecordedRequest&)>;

  ScriptedHttpServer();
  ~ScriptedHttpServer();
  ScriptedHttpServer(const ScriptedHttpServer&) = delete;
  ScriptedHttpServer& operator=(const ScriptedHttpServer&) = delete;

  // Appends to the script; scripted responses are used before the handler.
  void Enqueue(ScriptedResponse response);
  // Answers requests once the script is used up (without one: 599 "script exhausted").
  void SetHandler(Handler handler);

  uint16_t port() const { return port_; }
  std::string endpoint() const;  // "http://127.0.0.1:<port>"
  std::vector<RecordedRequest> requests() const;
  size_t request_count() const;

 private:
  void Serve();
  void HandleConnection(int fd);
  ScriptedResponse Next(const RecordedRequest& request);

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable Mutex mu_;
  std::deque<ScriptedResponse> script_ GUARDED_BY(mu_);
  Handler handler_ GUARDED_BY(mu_);
  std::vector<RecordedRequest> requests_ GUARDED_BY(mu_);
  std::thread thread_;
};

// The common S3 error body.
std::string S3ErrorXml(std::string_view code, std::string_view message);

// A TCP port on 127.0.0.1 where nothing listens: connections to it are refused.
int RefusingPort();

// A socket on 127.0.0.1 that listens but never accepts: the kernel completes connections to it,
// and no byte ever comes back. An endpoint that is up and silent. Closed on destruction.
class SilentListener {
 public:
  SilentListener();
  ~SilentListener();
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace walnut::testing
