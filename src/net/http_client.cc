#include "net/http_client.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <exception>

#include <fmt/format.h>

#include "common/error.h"
#include "common/logging.h"
#include "net/curl_api.h"

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

// Error bodies are only read for their <Code> and <Message>; a hostile server must not make us
// buffer more than this.
constexpr size_t kMaxErrorBody = 64u << 10;
constexpr size_t kMaxIdleHandles = 32;

std::string ToLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool IsSecretHeader(std::string_view lower_name) {
  return lower_name == "authorization" || lower_name == "x-amz-security-token" ||
         lower_name == "proxy-authorization" ||
         lower_name == "x-amz-server-side-encryption-customer-key";
}

// State shared with the libcurl callbacks of one transfer.
struct Transfer {
  CURL* easy = nullptr;
  const BodySink* sink = nullptr;
  const HeadersCallback* on_headers = nullptr;
  bool headers_reported = false;
  size_t max_buffered_body = 0;
  ConstByteSpan upload;
  size_t upload_pos = 0;
  HttpResponse response;
  std::exception_ptr error;  // thrown by a callback; rethrown after curl_easy_perform
  // Stall detection: the last time a byte moved in either direction.
  std::chrono::milliseconds stall_timeout{0};
  std::chrono::steady_clock::time_point last_progress;
  curl_off_t last_down = -1;
  curl_off_t last_up = -1;
  bool stalled = false;
  std::stop_token stop;
  bool cancelled = false;
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    // A new status line (after "100 Continue" or a redirect): forget the previous headers.
    t->response.headers.clear();
    return size * count;
  }
  if (Trim(line).empty()) {
    // The end of a header block: report a 2xx before its body starts, so the callback sees the
    // headers even if the body transfer then fails.
    long status = 0;
    Curl().easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300 && !t->headers_reported) {
      t->headers_reported = true;
      t->response.status = status;
      try {
        if (t->on_headers && *t->on_headers) (*t->on_headers)(t->response);
      } catch (...) {
        t->error = std::current_exception();
        return 0;  // aborts the transfer
      }
    }
    return size * count;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response.headers.emplace_back(ToLower(Trim(line.substr(0, colon))),
                                     std::string(Trim(line.substr(colon + 1))));
  }
  return size * count;
}

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * count;
  long status = 0;
  Curl().easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  try {
    bool success = status >= 200 && status < 300;
    if (success && t->sink && *t->sink) {
      (*t->sink)(ConstByteSpan(reinterpret_cast<const std::byte*>(data), len));
    } else if (success) {
      if (t->response.body.size() + len > t->max_buffered_body) {
        throw Error(ErrorCode::kProtocol,
                    fmt::format("response body is larger than {} bytes", t->max_buffered_body));
      }
      t->response.body.append(data, len);
    } else {
      size_t room = kMaxErrorBody - std::min(kMaxErrorBody, t->response.body.size());
      t->response.body.append(data, std::min(room, len));
    }
  } catch (...) {
    t->error = std::current_exception();
    return 0;  // makes libcurl abort the transfer with CURLE_WRITE_ERROR
  }
  return len;
}

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = std::min(size * count, t->upload.size() - t->upload_pos);
  std::memcpy(buffer, t->upload.data() + t->upload_pos, n);
  t->upload_pos += n;
  return n;
}

int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > t->upload.size()) {
    return CURL_SEEKFUNC_FAIL;
  }
  t->upload_pos = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

// libcurl calls this at least once a second. CURLOPT_LOW_SPEED_TIME would do the same job, but
// its speed is an average over a window of several seconds, so it fires late after a burst and
// only with whole-second resolution.
int OnProgress(void* user, curl_off_t, curl_off_t down, curl_off_t, curl_off_t up) {
  auto* t = static_cast<Transfer*>(user);
  if (t->stop.stop_requested()) {
    t->cancelled = true;
    return 1;
  }
  auto now = std::chrono::steady_clock::now();
  if (down != t->last_down || up != t->last_up) {
    t->last_down = down;
    t->last_up = up;
    t->last_progress = now;
    return 0;
  }
  if (now - t->last_progress >= t->stall_timeout) {
    t->stalled = true;
    return 1;  // aborts with CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
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

// Strips the query string, which may carry upload ids or tokens that are noise in messages.
std::string_view UrlForMessage(std::string_view url) { return url.substr(0, url.find('?')); }

void Check(CURLcode rc, const char* what) {
  if (rc != CURLE_OK) {
    throw Error(ErrorCode::kInternal,
                fmt::format("libcurl option {} failed: {}", what, Curl().easy_strerror(rc)));
  }
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
  auto handle = Acquire();
  CURL* c = handle->easy.get();
  // Reset clears the options of the previous request but keeps the connection cache, which is
  // what makes keep-alive work across requests on this handle.
  curl.easy_reset(c);
  handle->error_buffer[0] = '\0';

  Transfer t;
  t.easy = c;
  t.sink = &sink;
  t.on_headers = &on_headers;
  t.max_buffered_body = options_.max_buffered_body;
  t.upload = request.body;

  SlistPtr headers;
  auto add_header = [&](const std::string& line) {
    // On success the list head stays the same (or is created); on failure the list is intact.
    curl_slist* head = curl.slist_append(headers.get(), line.c_str());
    if (!head) throw Error(ErrorCode::kInternal, "curl_slist_append failed");
    (void)headers.release();
    headers.reset(head);
  };
  for (const auto& [name, value] : request.headers) {
    // "Name;" is libcurl's way to send a header with an empty value.
    add_header(value.empty() ? name + ";" : name + ": " + value);
  }
  // Bodies are buffered and sent with Content-Length; waiting for "100 Continue" only adds a
  // round trip.
  add_header("Expect:");

  t.stall_timeout = options_.stall_timeout;
  t.stop = request.stop;
  t.last_progress = std::chrono::steady_clock::now();
  Check(curl.easy_setopt(c, CURLOPT_URL, request.url.c_str()), "URL");
  Check(curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L), "NOSIGNAL");
  Check(curl.easy_setopt(c, CURLOPT_ERRORBUFFER, handle->error_buffer), "ERRORBUFFER");
  Check(curl.easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1), "HTTP_VERSION");
  // Object keys may contain "/./" or "/../"; they must reach the server exactly as signed.
  Check(curl.easy_setopt(c, CURLOPT_PATH_AS_IS, 1L), "PATH_AS_IS");
  Check(curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(options_.connect_timeout.count())),
        "CONNECTTIMEOUT_MS");
  Check(curl.easy_setopt(c, CURLOPT_NOPROGRESS, 0L), "NOPROGRESS");
  Check(curl.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &OnProgress), "XFERINFOFUNCTION");
  Check(curl.easy_setopt(c, CURLOPT_XFERINFODATA, &t), "XFERINFODATA");
  Check(curl.easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L), "TCP_KEEPALIVE");
  Check(curl.easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str()), "USERAGENT");
  if (!options_.ca_cert_file.empty()) {
    Check(curl.easy_setopt(c, CURLOPT_CAINFO, options_.ca_cert_file.c_str()), "CAINFO");
  }
  Check(curl.easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()), "HTTPHEADER");
  Check(curl.easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader), "HEADERFUNCTION");
  Check(curl.easy_setopt(c, CURLOPT_HEADERDATA, &t), "HEADERDATA");
  Check(curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnWrite), "WRITEFUNCTION");
  Check(curl.easy_setopt(c, CURLOPT_WRITEDATA, &t), "WRITEDATA");

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

  CURLcode rc = curl.easy_perform(c);
  if (rc == CURLE_OK) {
    curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.response.status);
    bool success = t.response.status >= 200 && t.response.status < 300;
    // Safety net: a 2xx whose header block end was not seen by OnHeader.
    if (success && !t.headers_reported && on_headers) {
      t.headers_reported = true;
      try {
        on_headers(t.response);
      } catch (...) {
        t.error = std::current_exception();
      }
    }
  }
  std::string detail = handle->error_buffer[0] ? handle->error_buffer : curl.easy_strerror(rc);
  // Unset the pointers into this frame before the handle goes back to the pool.
  curl.easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  curl.easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  Release(std::move(handle));

  if (t.error) std::rethrow_exception(t.error);
  if (rc == CURLE_OK) return std::move(t.response);

  auto where = fmt::format("{} {}", request.method, UrlForMessage(request.url));
  if (rc == CURLE_SSL_CACERT_BADFILE) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{}: cannot use CA certificate file '{}': {}", where,
                            options_.ca_cert_file, detail));
  }
  if (rc == CURLE_URL_MALFORMAT) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("{}: malformed URL: {}", where, detail));
  }
  if (rc == CURLE_ABORTED_BY_CALLBACK && t.cancelled) {
    throw Error(ErrorCode::kCancelled, fmt::format("{}: cancelled", where));
  }
  if (rc == CURLE_ABORTED_BY_CALLBACK && t.stalled) {
    throw Error(ErrorCode::kNetwork,
                fmt::format("{}: no data moved for {} ms (stall timeout)", where,
                            options_.stall_timeout.count()),
                true);
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    detail += fmt::format(" (connect timeout {} ms)", options_.connect_timeout.count());
  }
  throw Error(ErrorCode::kNetwork,
              fmt::format("{}: {} (curl error {})", where, detail, static_cast<int>(rc)),
              IsTransient(rc));
}

std::string DescribeForLog(const HttpRequest& request) {
  std::string out = fmt::format("{} {}", request.method, request.url);
  if (!request.headers.empty()) {
    out += " [";
    bool first = true;
    for (const auto& [name, value] : request.headers) {
      if (!first) out += ", ";
      first = false;
      out += name;
      out += ": ";
      out += IsSecretHeader(ToLower(name)) ? "***" : value;
    }
    out += "]";
  }
  return out;
}

}  // namespace walnut::net
