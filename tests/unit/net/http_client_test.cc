#include "net/http_client.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "common/error.h"
#include "support/scripted_http_server.h"
#include "support/test_util.h"

namespace walnut::net {
namespace {

using walnut::testing::ExpectError;
using walnut::testing::ScriptedHttpServer;
using walnut::testing::ScriptedResponse;
using Fault = ScriptedResponse::Fault;

HttpClientOptions FastOptions() {
  HttpClientOptions o;
  o.connect_timeout = std::chrono::milliseconds(2000);
  o.stall_timeout = std::chrono::milliseconds(1000);
  return o;
}

HttpRequest Req(std::string method, std::string url, HttpHeaders headers = {},
                ConstByteSpan body = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.headers = std::move(headers);
  r.body = body;
  return r;
}

TEST(HttpClientTest, SendsHeadersAndBodyAndReturnsTheResponse) {
  ScriptedHttpServer server;
  server.Enqueue({201, {{"ETag", "\"abc\""}, {"X-Thing", "  spaced  "}}, "created"});
  HttpClient client(FastOptions());
  const std::string body = "payload bytes";
  HttpRequest request =
      Req("PUT", server.endpoint() + "/b/k?x=1",
          {{"Host", "example:1"}, {"x-amz-meta", "v"}, {"Empty", ""}}, AsBytes(body));
  HttpResponse response = client.Perform(request);
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, "created");
  EXPECT_EQ(response.Header("etag"), "\"abc\"");
  EXPECT_EQ(response.Header("x-thing"), "spaced");
  auto recorded = server.requests();
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].method, "PUT");
  EXPECT_EQ(recorded[0].target, "/b/k?x=1");
  EXPECT_EQ(recorded[0].body, body);
  EXPECT_EQ(recorded[0].Header("host"), "example:1");
  EXPECT_EQ(recorded[0].Header("x-amz-meta"), "v");
  EXPECT_EQ(recorded[0].Header("empty"), "");
  EXPECT_EQ(recorded[0].Header("content-length"), std::to_string(body.size()));
  EXPECT_FALSE(recorded[0].Header("expect").has_value());
}

TEST(HttpClientTest, StreamsSuccessfulBodiesToTheSinkAndKeepsErrorBodies) {
  ScriptedHttpServer server;
  server.Enqueue({200, {}, std::string(100000, 'x')});
  server.Enqueue({404, {}, "<Error><Code>NoSuchKey</Code></Error>"});
  HttpClient client(FastOptions());
  size_t received = 0;
  long seen_status = 0;
  HttpResponse ok = client.Perform(
      Req("GET", server.endpoint() + "/k"), [&](ConstByteSpan piece) { received += piece.size(); },
      [&](const HttpResponse& r) { seen_status = r.status; });
  EXPECT_EQ(received, 100000u);
  EXPECT_EQ(seen_status, 200);
  EXPECT_TRUE(ok.body.empty());
  HttpResponse missing =
      client.Perform(Req("GET", server.endpoint() + "/k"), [&](ConstByteSpan) { ADD_FAILURE(); });
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "<Error><Code>NoSuchKey</Code></Error>");
}

TEST(HttpClientTest, SinkExceptionsPropagate) {
  ScriptedHttpServer server;
  server.Enqueue({200, {}, "data"});
  HttpClient client(FastOptions());
  Error e = ExpectError([&] {
    client.Perform(Req("GET", server.endpoint() + "/k"),
                   [](ConstByteSpan) { throw Error(ErrorCode::kCorruption, "bad bytes"); });
  });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
}

TEST(HttpClientTest, ConnectionRefusedIsARetryableNetworkError) {
  uint16_t port;
  {
    ScriptedHttpServer server;  // find a free port, then close it
    port = server.port();
  }
  HttpClient client(FastOptions());
  Error e = ExpectError(
      [&] { client.Perform(Req("GET", "http://127.0.0.1:" + std::to_string(port) + "/k")); });
  EXPECT_EQ(e.code(), ErrorCode::kNetwork);
  EXPECT_TRUE(e.retryable());
  EXPECT_NE(std::string(e.what()).find("GET http://127.0.0.1:"), std::string::npos) << e.what();
}

TEST(HttpClientTest, AResetMidBodyIsARetryableNetworkError) {
  ScriptedHttpServer server;
  server.Enqueue({200, {}, std::string(10000, 'x'), Fault::kResetMidBody, 100});
  HttpClient client(FastOptions());
  Error e = ExpectError([&] { client.Perform(Req("GET", server.endpoint() + "/k")); });
  EXPECT_EQ(e.code(), ErrorCode::kNetwork) << e.what();
  EXPECT_TRUE(e.retryable());
}

TEST(HttpClientTest, AStalledTransferTimesOut) {
  ScriptedHttpServer server;
  server.Enqueue({200, {}, std::string(10000, 'x'), Fault::kStallMidBody, 10});
  HttpClient client(FastOptions());
  auto start = std::chrono::steady_clock::now();
  Error e = ExpectError([&] { client.Perform(Req("GET", server.endpoint() + "/k")); });
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(e.code(), ErrorCode::kNetwork) << e.what();
  EXPECT_TRUE(e.retryable());
  EXPECT_NE(std::string(e.what()).find("no data moved for 1000 ms (stall timeout)"),
            std::string::npos)
      << e.what();
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(HttpClientTest, AStopRequestCancelsAWaitingTransfer) {
  ScriptedHttpServer server;
  server.Enqueue({200, {}, std::string(10000, 'x'), Fault::kStallMidBody, 10});
  auto options = FastOptions();
  options.stall_timeout = std::chrono::seconds(60);
  HttpClient client(options);
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop.request_stop();
  });
  auto start = std::chrono::steady_clock::now();
  HttpRequest request = Req("GET", server.endpoint() + "/k");
  request.stop = stop.get_token();
  Error e = ExpectError([&] { client.Perform(request); });
  stopper.join();
  EXPECT_EQ(e.code(), ErrorCode::kCancelled) << e.what();
  EXPECT_FALSE(e.retryable());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(HttpClientTest, HeadersCutShortAreARetryableNetworkErrorNotAResponse) {
  // The header block as the scripted server sends it, but for the empty line that ends it.
  const std::string status_line = "HTTP/1.1 206 Partial Content\r\n";
  const std::string head = status_line +
                           "ETag: \"abc\"\r\nContent-Range: bytes 0-9/10\r\n"
                           "Content-Length: 10\r\nConnection: close\r\n";
  // Cut after the status line, in the middle of a header, and just before the empty line: libcurl
  // takes each for a complete response.
  for (size_t cut : {status_line.size(), status_line.size() + 9, head.size()}) {
    ScriptedHttpServer server;
    ScriptedResponse response{
        206, {{"ETag", "\"abc\""}, {"Content-Range", "bytes 0-9/10"}}, "0123456789"};
    response.fault = Fault::kCutHeaders;
    response.header_bytes_before_fault = cut;
    server.Enqueue(response);
    HttpClient client(FastOptions());
    bool headers_seen = false;
    Error e = ExpectError([&] {
      client.Perform(
          Req("GET", server.endpoint() + "/k"), [](ConstByteSpan) {},
          [&](const HttpResponse&) { headers_seen = true; });
    });
    EXPECT_EQ(e.code(), ErrorCode::kNetwork) << "cut at " << cut << ": " << e.what();
    EXPECT_TRUE(e.retryable()) << e.what();
    // Cut before Content-Length arrived, this check is all that catches it; after, libcurl
    // reports the missing body itself.
    if (cut < head.size()) {
      EXPECT_NE(std::string(e.what()).find("closed in the middle of the response headers"),
                std::string::npos)
          << e.what();
    }
    EXPECT_FALSE(headers_seen) << "the headers of a cut response were reported (cut at " << cut
                               << ")";
  }
}

TEST(HttpClientTest, AHeadAnswerCutShortIsARetryableNetworkError) {
  ScriptedHttpServer server;
  ScriptedResponse response{200, {{"ETag", "\"abc\""}}, ""};
  response.fault = Fault::kCutHeaders;
  response.header_bytes_before_fault = 20;
  server.Enqueue(response);
  HttpClient client(FastOptions());
  Error e = ExpectError([&] { client.Perform(Req("HEAD", server.endpoint() + "/k")); });
  EXPECT_EQ(e.code(), ErrorCode::kNetwork) << e.what();
  EXPECT_TRUE(e.retryable());
}

TEST(HttpClientTest, ABodyEndedEarlyIsARetryableNetworkError) {
  ScriptedHttpServer server;
  server.Enqueue({200, {}, std::string(10000, 'x'), Fault::kCloseMidBody, 100});
  HttpClient client(FastOptions());
  Error e = ExpectError([&] { client.Perform(Req("GET", server.endpoint() + "/k")); });
  EXPECT_EQ(e.code(), ErrorCode::kNetwork) << e.what();
  EXPECT_TRUE(e.retryable());
}

TEST(HttpClientTest, AnEndpointThatAcceptsAndNeverAnswersStallsOut) {
  walnut::testing::SilentListener silent;
  HttpClient client(FastOptions());
  auto start = std::chrono::steady_clock::now();
  Error e = ExpectError([&] { client.Perform(Req("GET", silent.endpoint() + "/k")); });
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(e.code(), ErrorCode::kNetwork) << e.what();
  EXPECT_TRUE(e.retryable());
  EXPECT_NE(std::string(e.what()).find("stall timeout"), std::string::npos) << e.what();
  EXPECT_GE(elapsed, std::chrono::milliseconds(1000));
  EXPECT_LT(elapsed, std::chrono::milliseconds(2500));
}

TEST(HttpClientTest, AnUnresolvableHostIsARetryableNetworkError) {
  HttpClient client(FastOptions());
  auto start = std::chrono::steady_clock::now();
  Error e = ExpectError([&] { client.Perform(Req("GET", "http://walnut-test.invalid/k")); });
  EXPECT_EQ(e.code(), ErrorCode::kNetwork) << e.what();
  EXPECT_TRUE(e.retryable());
  EXPECT_NE(std::string(e.what()).find("walnut-test.invalid"), std::string::npos) << e.what();
  // Name resolution counts towards the connect timeout (2 s here).
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(3000));
}

TEST(HttpClientTest, AnUnreadableCaFileIsAnInvalidArgument) {
  auto options = FastOptions();
  options.ca_cert_file = "/nonexistent/ca.pem";
  HttpClient client(options);
  ScriptedHttpServer server;
  // The CA file is loaded when TLS starts, after the TCP connect.
  Error e = ExpectError([&] {
    client.Perform(Req("GET", "https://127.0.0.1:" + std::to_string(server.port()) + "/k"));
  });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
  EXPECT_NE(std::string(e.what()).find("/nonexistent/ca.pem"), std::string::npos) << e.what();
  EXPECT_FALSE(e.retryable());
}

TEST(HttpClientTest, DescribeForLogMasksCredentials) {
  HttpRequest request =
      Req("GET", "http://h/k",
          {{"Authorization", "AWS4-HMAC-SHA256 Credential=AKIA/.., Signature=abc"},
           {"x-amz-security-token", "TOKEN"},
           {"Range", "bytes=0-1"}});
  std::string line = DescribeForLog(request);
  EXPECT_EQ(line,
            "GET http://h/k [Authorization: ***, x-amz-security-token: ***, Range: bytes=0-1]");
}

}  // namespace
}  // namespace walnut::net
