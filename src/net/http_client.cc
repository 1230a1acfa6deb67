#include "net/http_client.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <exception>

#include <fmt/format.h>
#include <strings.h>

#include "common/error.h"
#include "common/logging.h"
#include "net/curl_api.h"
#include "net/http_transfer.h"

namespace walnut::net {

namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { Curl().easy_cleanup(c); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* l) const { Curl().slist_free_all(l); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

constexpr size_t kMaxIdleHandles = 32;

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool IsSecretHeader(std::string_view name) {
  static constexpr std::array<std::string_view, 4> kSecret = {
      "authorization", "x-amz-security-token", "proxy-authorization",
      "x-amz-server-side-encryption-customer-key"};
  for (std::string_view secret : kSecret) {
    if (SameName(name, secret)) return true;
  }
  return false;
}

// Failures that may pass when tried again: connection problems, resets and timeouts.
bool IsTransient(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

// "GET http://host/key": the request in messages, without the query string, which may carry
// upload ids or tokens that are noise there.
std::string Where(const HttpRequest& request) {
  std::string_view url = request.url;
  return fmt::format("{} {}", request.method, url.substr(0, url.find('?')));
}

void Check(CURLcode rc, const char* what) {
  if (rc != CURLE_OK) {
    throw Error(ErrorCode::kInternal,
                fmt::format("libcurl option {} failed: {}", what, Curl().easy_strerror(rc)));
  }
}

// Set-up: the request's header lines, plus "Expect:" (bodies are buffered and sent with
// Content-Length; waiting for "100 Continue" only adds a round trip) unless the request asks for
// "Expect: 100-continue".
SlistPtr HeaderList(const HttpRequest& request) {
  SlistPtr headers;
  auto add = [&](const std::string& line) {
    // On success the list head stays the same (or is created); on failure the list is intact.
    curl_slist* head = Curl().slist_append(headers.get(), line.c_str());
    if (!head) throw Error(ErrorCode::kInternal, "curl_slist_append failed");
    (void)headers.release();
    headers.reset(head);
  };
  for (const auto& [name, value] : request.headers) {
    // "Name;" is libcurl's way to send a header with an empty value.
    add(value.empty() ? name + ";" : name + ": " + value);
  }
  add(request.expect_continue && !request.body.empty() ? "Expect: 100-continue" : "Expect:");
  return headers;
}

// Set-up: the options of the method and its body.
void SetMethod(CURL* c, const HttpRequest& request, Transfer& t) {
  const CurlApi& curl = Curl();
  const std::string& m = request.method;
  if (m == "GET") {
    Check(curl.easy_setopt(c, CURLOPT_HTTPGET, 1L), "HTTPGET");
  } else if (m == "HEAD") {
    Check(curl.easy_setopt(c, CURLOPT_NOBODY, 1L), "NOBODY");
  } else if (m == "PUT" || m == "POST") {
    Check(curl.easy_setopt(c, CURLOPT_READFUNCTION, &OnRead), "READFUNCTION");
    Check(curl.easy_setopt(c, CURLOPT_READDATA, &t), "READDATA");
    Check(curl.easy_setopt(c, CURLOPT_SEEKFUNCTION, &OnSeek), "SEEKFUNCTION");
    Check(curl.easy_setopt(c, CURLOPT_SEEKDATA, &t), "SEEKDATA");
    auto size = static_cast<curl_off_t>(request.body.size());
    if (m == "PUT") {
      Check(curl.easy_setopt(c, CURLOPT_UPLOAD, 1L), "UPLOAD");
      Check(curl.easy_setopt(c, CURLOPT_INFILESIZE_LARGE, size), "INFILESIZE_LARGE");
    } else {
      Check(curl.easy_setopt(c, CURLOPT_POST, 1L), "POST");
      Check(curl.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, size), "POSTFIELDSIZE_LARGE");
    }
  } else {
    Check(curl.easy_setopt(c, CURLOPT_CUSTOMREQUEST, m.c_str()), "CUSTOMREQUEST");
  }
}

// Set-up: every option of one transfer on handle `c`, which may have served an earlier one.
void SetUp(CURL* c, char* error_buffer, const HttpRequest& request, curl_slist* headers,
           const HttpClientOptions& options, Transfer& t) {
  const CurlApi& curl = Curl();
  // Reset clears the options of the previous request but keeps the connection cache, which is
  // what makes keep-alive work across requests on this handle.
  curl.easy_reset(c);
  error_buffer[0] = '\0';
  Check(curl.easy_setopt(c, CURLOPT_URL, request.url.c_str()), "URL");
  Check(curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L), "NOSIGNAL");
  Check(curl.easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer), "ERRORBUFFER");
  Check(curl.easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1), "HTTP_VERSION");
  // Object keys may contain "/./" or "/../"; they must reach the server exactly as signed.
  Check(curl.easy_setopt(c, CURLOPT_PATH_AS_IS, 1L), "PATH_AS_IS");
  // Name resolution counts towards the connect timeout.
  Check(curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(options.connect_timeout.count())),
        "CONNECTTIMEOUT_MS");
  Check(curl.easy_setopt(c, CURLOPT_NOPROGRESS, 0L), "NOPROGRESS");
  Check(curl.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &OnProgress), "XFERINFOFUNCTION");
  Check(curl.easy_setopt(c, CURLOPT_XFERINFODATA, &t), "XFERINFODATA");
  Check(curl.easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L), "TCP_KEEPALIVE");
  Check(curl.easy_setopt(c, CURLOPT_USERAGENT, options.user_agent.c_str()), "USERAGENT");
  if (!options.ca_cert_file.empty()) {
    Check(curl.easy_setopt(c, CURLOPT_CAINFO, options.ca_cert_file.c_str()), "CAINFO");
  }
  Check(curl.easy_setopt(c, CURLOPT_HTTPHEADER, headers), "HTTPHEADER");
  Check(curl.easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader), "HEADERFUNCTION");
  Check(curl.easy_setopt(c, CURLOPT_HEADERDATA, &t), "HEADERDATA");
  Check(curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnWrite), "WRITEFUNCTION");
  Check(curl.easy_setopt(c, CURLOPT_WRITEDATA, &t), "WRITEDATA");
  SetMethod(c, request, t);
}

// Response validation: what libcurl accepts as a response but is not a whole one.
void ValidateResponse(const HttpRequest& request, const Transfer& t) {
  // libcurl takes a connection closed in the middle of the response headers for a complete
  // response; what arrived of it (a status, some headers) must not be mistaken for the answer.
  if (!t.status_line_seen || t.header_block_open) {
    throw Error(ErrorCode::kNetwork,
                fmt::format("{}: the connection closed in the middle of the response headers",
                            Where(request)),
                true);
  }
}

// Error mapping: the Error for a transfer that libcurl ended with `rc`.
Error TransferError(const HttpRequest& request, CURLcode rc, const Transfer& t,
                    const HttpClientOptions& options, std::string detail) {
  std::string where = Where(request);
  if (rc == CURLE_SSL_CACERT_BADFILE) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{}: cannot use CA certificate file '{}': {}", where,
                             options.ca_cert_file, detail));
  }
  if (rc == CURLE_URL_MALFORMAT) {
    return Error(ErrorCode::kInvalidArgument, fmt::format("{}: malformed URL: {}", where, detail));
  }
  if (rc == CURLE_ABORTED_BY_CALLBACK && t.cancelled) {
    return Error(ErrorCode::kCancelled, fmt::format("{}: cancelled", where));
  }
  if (rc == CURLE_ABORTED_BY_CALLBACK && t.stalled && t.awaiting_answer) {
    return Error(ErrorCode::kNetwork,
                 fmt::format("{}: no answer within {} ms of sending the request (answer timeout)",
                             where, t.answer_timeout.count()),
                 true);
  }
  if (rc == CURLE_ABORTED_BY_CALLBACK && t.stalled) {
    return Error(ErrorCode::kNetwork,
                 fmt::format("{}: no data moved for {} ms (stall timeout)", where,
                             options.stall_timeout.count()),
                 true);
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    detail += fmt::format(" (connect timeout {} ms)", options.connect_timeout.count());
  }
  return Error(ErrorCode::kNetwork,
               fmt::format("{}: {} (curl error {})", where, detail, static_cast<int>(rc)),
               IsTransient(rc));
}

}  // namespace

struct HttpClient::Handle {
  CurlPtr easy;
  char error_buffer[CURL_ERROR_SIZE] = {};
};

std::optional<std::string_view> HttpResponse::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return std::string_view(value);
  }
  return std::nullopt;
}

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) { (void)Curl(); }

HttpClient::~HttpClient() = default;

std::unique_ptr<HttpClient::Handle> HttpClient::Acquire() {
  {
    MutexLock lock(mu_);
    if (!idle_.empty()) {
      auto handle = std::move(idle_.back());
      idle_.pop_back();
      return handle;
    }
  }
  auto handle = std::make_unique<Handle>();
  handle->easy.reset(Curl().easy_init());
  if (!handle->easy) throw Error(ErrorCode::kInternal, "curl_easy_init failed");
  return handle;
}

void HttpClient::Release(std::unique_ptr<Handle> handle) {
  MutexLock lock(mu_);
  if (idle_.size() < kMaxIdleHandles) idle_.push_back(std::move(handle));
}

HttpResponse HttpClient::Perform(const HttpRequest& request, const BodySink& sink,
                                 const HeadersCallback& on_headers) {
  const CurlApi& curl = Curl();
  Transfer t;
  t.sink = &sink;
  t.on_headers = &on_headers;
  t.max_buffered_body = options_.max_buffered_body;
  t.upload = request.body;
  t.stall_timeout = options_.stall_timeout;
  t.answer_timeout = request.answer_timeout;
  t.stop = request.stop;
  SlistPtr headers = HeaderList(request);

  // A set-up that throws drops the handle, whose options may then point into this frame.
  auto handle = Acquire();
  CURL* c = handle->easy.get();
  t.easy = c;
  SetUp(c, handle->error_buffer, request, headers.get(), options_, t);

  t.last_progress = std::chrono::steady_clock::now();
  CURLcode rc = curl.easy_perform(c);
  curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.response.status);
  std::string detail = handle->error_buffer[0] ? handle->error_buffer : curl.easy_strerror(rc);
  // Unset the pointers into this frame before the handle goes back to the pool.
  curl.easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  curl.easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  Release(std::move(handle));

  if (t.error) std::rethrow_exception(t.error);
  if (rc != CURLE_OK) throw TransferError(request, rc, t, options_, std::move(detail));
  ValidateResponse(request, t);
  return std::move(t.response);
}

std::string DescribeForLog(const HttpRequest& request) {
  std::string out = fmt::format("{} {}", request.method, request.url);
  if (!request.headers.empty()) {
    out += " [";
    bool first = true;
    for (const auto& header : request.headers) {
      if (!first) out += ", ";
      first = false;
      out += header.first;
      out += ": ";
      bool masked = IsSecretHeader(header.first) ||
                    std::any_of(request.masked_headers.begin(), request.masked_headers.end(),
                                [&](const std::string& m) { return SameName(header.first, m); });
      out += masked ? "***" : header.second;
    }
    out += "]";
  }
  return out;
}

}  // namespace walnut::net
