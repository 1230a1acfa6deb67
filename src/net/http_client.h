#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/mutex.h"

namespace walnut::net {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // GET, HEAD, PUT, POST or DELETE
  std::string url;     // fully encoded; never carries credentials
  HttpHeaders headers;
  ConstByteSpan body;  // sent with Content-Length for PUT and POST; not owned
  // A stop request aborts the transfer within about a second (Error kCancelled).
  std::stop_token stop;
  // How long the server may think, once the whole request is sent, before the first byte of its
  // answer: for requests whose work grows with their size (deleting 1000 keys, completing a
  // multipart upload of many parts). Zero, or shorter than the stall timeout, = the stall timeout.
  std::chrono::milliseconds answer_timeout{0};
  // Send "Expect: 100-continue" and the body only once the server answers "100 Continue" (or
  // after libcurl's one-second wait): a request the server refuses (403, a wrong region) costs
  // no body. Otherwise "Expect:" is suppressed, saving the round trip.
  bool expect_continue = false;
  // Names of further headers whose values DescribeForLog masks (headers the user gave).
  std::vector<std::string> masked_headers;
};

struct HttpResponse {
  long status = 0;
  HttpHeaders headers;  // names lower-cased, values trimmed
  // The body, unless a sink consumed it (2xx answers of a Perform() with a sink). Error bodies
  // are always collected here (up to a cap) so the caller can report the server's message.
  std::string body;

  // The value of the first header with this (lower-case) name.
  std::optional<std::string_view> Header(std::string_view lower_name) const;
};

// Receives the body of a 2xx response piece by piece. It may throw; the transfer is then
// aborted and the exception propagates out of Perform().
using BodySink = std::function<void(ConstByteSpan)>;
// Sees the status and headers of a 2xx response before its first body byte (and before Perform()
// returns), so a caller can record them even when the body transfer then fails.
using HeadersCallback = std::function<void(const HttpResponse&)>;

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{10000};
  // A transfer during which no byte moves, in either direction, for this long is aborted
  // (checked about once a second).
  std::chrono::milliseconds stall_timeout{60000};
  std::string ca_cert_file;  // PEM bundle to verify TLS peers with; empty = system default
  std::string user_agent = "walnut";
  size_t max_buffered_body = 64u << 20;  // a larger buffered body is a protocol error
};

// An HTTP/1.1 client over libcurl easy handles. Handles are pooled and reused, so connections stay
// alive between requests (one handle per concurrent caller). Perform() does not retry: callers
// decide with common/retry.h. Thread-safe.
class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends the request and returns the response (any status). With a sink, the body of a 2xx
  // response goes to the sink instead of HttpResponse::body. Throws Error(kNetwork, retryable)
  // for connection failures, resets, timeouts and a response whose headers were cut short (the
  // message names the method and URL, never header values), Error(kInvalidArgument) for TLS
  // setup problems such as an unreadable CA file, and whatever the sink threw. Runs in phases:
  // set-up of a pooled handle, the transfer, validation of the response, error mapping.
  HttpResponse Perform(const HttpRequest& request, const BodySink& sink = nullptr,
                       const HeadersCallback& on_headers = nullptr);

  const HttpClientOptions& options() const { return options_; }

 private:
  struct Handle;
  std::unique_ptr<Handle> Acquire();
  void Release(std::unique_ptr<Handle> handle);

  const HttpClientOptions options_;
  Mutex mu_;
  std::vector<std::unique_ptr<Handle>> idle_ GUARDED_BY(mu_);
};

// "PUT http://host/key?x=1 [header: value, authorization: ***]": a request for debug logs, with
// the values of credential-bearing headers masked.
std::string DescribeForLog(const HttpRequest& request);

}  // namespace walnut::net
