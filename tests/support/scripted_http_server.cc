#include "support/scripted_http_server.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace walnut::testing {

namespace {

constexpr int kIoTimeoutMs = 5000;

std::string ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 412:
      return "Precondition Failed";
    case 416:
      return "Range Not Satisfiable";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

// Waits for fd to become readable; false on timeout or when stop is set.
bool WaitReadable(int fd, const std::atomic<bool>& stop, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!stop) {
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, 50);
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
    if (std::chrono::steady_clock::now() > deadline) return false;
  }
  return false;
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Lets the client read everything sent before the close, so it sees an orderly end (FIN), not a
// reset.
void CloseGracefully(int fd, const std::atomic<bool>& stop) {
  shutdown(fd, SHUT_WR);
  WaitReadable(fd, stop, 1000);
  close(fd);
}

// Keeps the connection open, reading and dropping what comes, until the client closes it or the
// server stops.
void HoldOpen(int fd, const std::atomic<bool>& stop) {
  char buf[4096];
  while (!stop) {
    if (WaitReadable(fd, stop, 100)) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
    }
  }
  close(fd);
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::optional<std::string> RecordedRequest::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

std::string RecordedRequest::Query() const {
  auto q = target.find('?');
  return q == std::string::npos ? std::string() : target.substr(q + 1);
}

std::string S3ErrorXml(std::string_view code, std::string_view message) {
  return std::string(R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>)") + std::string(code) +
         "</Code><Message>" + std::string(message) + "</Message><RequestId>1</RequestId></Error>";
}

ScriptedHttpServer::ScriptedHttpServer() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket() failed");
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 64) != 0) {
    close(listen_fd_);
    throw std::runtime_error(std::string("bind/listen failed: ") + std::strerror(errno));
  }
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

ScriptedHttpServer::~ScriptedHttpServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  close(listen_fd_);
}

void ScriptedHttpServer::Enqueue(ScriptedResponse response) {
  MutexLock lock(mu_);
  script_.push_back(std::move(response));
}

void ScriptedHttpServer::SetHandler(Handler handler) {
  MutexLock lock(mu_);
  handler_ = std::move(handler);
}

std::string ScriptedHttpServer::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::vector<RecordedRequest> ScriptedHttpServer::requests() const {
  MutexLock lock(mu_);
  return requests_;
}

size_t ScriptedHttpServer::request_count() const {
  MutexLock lock(mu_);
  return requests_.size();
}

ScriptedResponse ScriptedHttpServer::Next(const RecordedRequest& request) {
  Handler handler;
  {
    MutexLock lock(mu_);
    requests_.push_back(request);
    if (!script_.empty()) {
      ScriptedResponse r = std::move(script_.front());
      script_.pop_front();
      return r;
    }
    handler = handler_;
  }
  if (handler) return handler(request);
  return ScriptedResponse{599, {}, "script exhausted", ScriptedResponse::Fault::kNone, 0};
}

void ScriptedHttpServer::Serve() {
  while (!stop_) {
    if (!WaitReadable(listen_fd_, stop_, 1 << 30)) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    HandleConnection(fd);
  }
}

void ScriptedHttpServer::HandleConnection(int fd) {
  std::string in;
  char buf[65536];
  size_t header_end = std::string::npos;
  while ((header_end = in.find("\r\n\r\n")) == std::string::npos) {
    if (!WaitReadable(fd, stop_, kIoTimeoutMs)) return (void)close(fd);
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return (void)close(fd);
    in.append(buf, static_cast<size_t>(n));
  }
  RecordedRequest request;
  std::string head = in.substr(0, header_end);
  size_t line_end = head.find("\r\n");
  std::string request_line = head.substr(0, line_end);
  size_t sp1 = request_line.find(' ');
  size_t sp2 = request_line.rfind(' ');
  request.method = request_line.substr(0, sp1);
  request.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  size_t content_length = 0;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string::npos) end = head.size();
    std::string line = head.substr(pos, end - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = Lower(line.substr(0, colon));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (name == "content-length") content_length = std::stoul(value);
      request.headers.emplace_back(name, value);
    }
    pos = end + 2;
  }
  request.body = in.substr(header_end + 4);
  // A client that asked to wait for "100 Continue" gets it, as from S3, before sending its body.
  if (request.body.size() < content_length &&
      std::any_of(request.headers.begin(), request.headers.end(), [](const auto& h) {
        return h.first == "expect" && Lower(h.second) == "100-continue";
      })) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    if (send(fd, kContinue.data(), kContinue.size(), MSG_NOSIGNAL) < 0) return (void)close(fd);
  }
  while (request.body.size() < content_length) {
    if (!WaitReadable(fd, stop_, kIoTimeoutMs)) return (void)close(fd);
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return (void)close(fd);
    request.body.append(buf, static_cast<size_t>(n));
  }

  ScriptedResponse r = Next(request);
  if (r.think.count() > 0) std::this_thread::sleep_for(r.think);
  using Fault = ScriptedResponse::Fault;
  if (r.fault == Fault::kCloseWithoutAnswer) return (void)close(fd);
  if (r.fault == Fault::kNeverAnswer) return HoldOpen(fd, stop_);
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + ReasonPhrase(r.status) + "\r\n";
  for (const auto& [name, value] : r.headers) out += name + ": " + value + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n\r\n";
  bool head_request = request.method == "HEAD";
  if (r.fault == Fault::kCutHeaders) {
    SendAll(fd, std::string_view(out).substr(0, std::min(r.header_bytes_before_fault, out.size())));
    return CloseGracefully(fd, stop_);
  }
  if (r.fault == Fault::kNone) {
    if (!head_request) out += r.body;
    SendAll(fd, out);
    return CloseGracefully(fd, stop_);
  }
  out += r.body.substr(0, r.body_bytes_before_fault);
  SendAll(fd, out);
  if (r.fault == Fault::kResetMidBody) {
    linger lg{1, 0};  // close() sends RST instead of FIN
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    return;
  }
  if (r.fault == Fault::kCloseMidBody) return CloseGracefully(fd, stop_);
  // kStallMidBody: hold the connection open until the client gives up (or the server stops).
  HoldOpen(fd, stop_);
}

int RefusingPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error(std::string("cannot find a free port: ") + std::strerror(errno));
  }
  // Bound but not listening, and then closed: nothing accepts on it (another process could
  // take the port meanwhile, which tests accept as unlikely on loopback).
  close(fd);
  return ntohs(addr.sin_port);
}

SilentListener::SilentListener() {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(fd_, 128) != 0 || getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error(std::string("cannot listen: ") + std::strerror(errno));
  }
  port_ = ntohs(addr.sin_port);
}

SilentListener::~SilentListener() { close(fd_); }

}  // namespace walnut::testing
