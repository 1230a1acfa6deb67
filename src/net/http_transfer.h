#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <stop_token>

#include "common/bytes.h"
#include "net/curl_api.h"
#include "net/http_client.h"

namespace walnut::net {

// The state of one transfer that libcurl's callbacks share with HttpClient::Perform(), and the
// callbacks themselves (installed by Perform's set-up phase).
struct Transfer {
  CURL* easy = nullptr;
  const BodySink* sink = nullptr;
  const HeadersCallback* on_headers = nullptr;
  bool headers_reported = false;
  size_t max_buffered_body = 0;
  ConstByteSpan upload;
  size_t upload_pos = 0;
  HttpResponse response;
  std::exception_ptr error;  // thrown by a callback; rethrown after the transfer
  // Whether a status line arrived, and whether its header block is still waiting for the empty
  // line that ends it: libcurl reports a connection closed in the middle of the headers as a
  // complete response.
  bool status_line_seen = false;
  bool header_block_open = false;
  // Stall detection: the last time a byte moved in either direction.
  std::chrono::milliseconds stall_timeout{0};
  // Instead of stall_timeout while the request is all sent and no answer byte has arrived.
  std::chrono::milliseconds answer_timeout{0};
  std::chrono::steady_clock::time_point last_progress;
  curl_off_t last_down = -1;
  curl_off_t last_up = -1;
  bool stalled = false;
  bool answer_started = false;   // a header line arrived after the whole request was sent
  bool awaiting_answer = false;  // whether the stall was waiting for the first answer byte
  std::stop_token stop;
  bool cancelled = false;
};

// CURLOPT_HEADERFUNCTION: collects the headers (names lower-cased, values trimmed) and reports
// a 2xx to on_headers at the end of its header block.
size_t OnHeader(char* data, size_t size, size_t count, void* transfer);
// CURLOPT_WRITEFUNCTION: a 2xx body goes to the sink (or is buffered up to max_buffered_body);
// an error body is kept up to a small cap.
size_t OnWrite(char* data, size_t size, size_t count, void* transfer);
// CURLOPT_READFUNCTION and CURLOPT_SEEKFUNCTION over Transfer::upload.
size_t OnRead(char* buffer, size_t size, size_t count, void* transfer);
int OnSeek(void* transfer, curl_off_t offset, int origin);
// CURLOPT_XFERINFOFUNCTION: aborts on a stop request and on a stall.
int OnProgress(void* transfer, curl_off_t, curl_off_t down, curl_off_t, curl_off_t up);

}  // namespace walnut::net
