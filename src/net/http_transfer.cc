#include "net/http_transfer.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "common/error.h"

namespace walnut::net {

namespace {

// Error bodies are only read for their <Code> and <Message>; a hostile server must not make us
// buffer more than this.
constexpr size_t kMaxErrorBody = 64u << 10;

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

long ResponseCode(CURL* easy) {
  long status = 0;
  Curl().easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

}  // namespace

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  // A header line is progress; one after the whole request went out starts the answer (an
  // interim "100 Continue" comes before the body is sent).
  t->last_progress = std::chrono::steady_clock::now();
  if (t->upload_pos >= t->upload.size()) t->answer_started = true;
  if (line.starts_with("HTTP/")) {
    // A new status line (after "100 Continue" or a redirect): forget the previous headers.
    t->response.headers.clear();
    t->status_line_seen = true;
    t->header_block_open = true;
    return size * count;
  }
  if (Trim(line).empty()) {
    t->header_block_open = false;
    // The end of a header block: report a 2xx before its body starts, so the callback sees the
    // headers even if the body transfer then fails.
    long status = ResponseCode(t->easy);
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
  long status = ResponseCode(t->easy);
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
  // Until the request is all sent the server cannot answer; once it is, the first answer byte
  // (headers included) may take answer_timeout.
  const bool awaiting_answer =
      !t->answer_started && down == 0 && static_cast<size_t>(up) >= t->upload.size();
  const auto limit =
      awaiting_answer ? std::max(t->stall_timeout, t->answer_timeout) : t->stall_timeout;
  if (now - t->last_progress >= limit) {
    t->stalled = true;
    t->awaiting_answer = awaiting_answer && limit > t->stall_timeout;
    return 1;  // aborts with CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

}  // namespace walnut::net
