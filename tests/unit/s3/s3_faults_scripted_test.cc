// S3Storage against answers damaged on the way (headers cut short, no ETag, garbage XML) and
// against dead endpoints (refused, silent): each damaged answer is retried like a network error,
// and a request that keeps failing gives up within its time budget with one line saying what was
// tried and what to check.

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/mutex.h"
#include "storage/s3/s3_client.h"
#include "storage/s3/s3_storage.h"
#include "support/scripted_http_server.h"
#include "support/test_util.h"
#include "unit/s3/scripted_s3.h"

namespace walnut::s3 {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using walnut::testing::ExpectError;
using walnut::testing::ReadAll;
using Fault = ScriptedResponse::Fault;

// `response` with its status line and headers cut after `bytes` bytes.
ScriptedResponse CutHeaders(ScriptedResponse response, size_t bytes) {
  response.fault = Fault::kCutHeaders;
  response.header_bytes_before_fault = bytes;
  return response;
}

size_t CountRequests(const ScriptedHttpServer& server, const std::string& method,
                     const std::string& query_prefix) {
  size_t n = 0;
  for (const auto& r : server.requests()) {
    if (r.method == method && r.Query().rfind(query_prefix, 0) == 0) ++n;
  }
  return n;
}

TEST(S3FaultsTest, AHeadAnswerCutInItsHeadersIsRetried) {
  ScriptedHttpServer server;
  // "HTTP/1.1 200 OK\r\nETa": a status, and no Content-Length yet.
  server.Enqueue(CutHeaders({200, {{"ETag", "\"e\""}}, "hello"}, 20));
  server.Enqueue({200, {{"ETag", "\"e\""}}, "hello"});
  S3Storage storage(OptionsFor(server));
  auto info = storage.Stat("obj");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size, 5u);
  EXPECT_EQ(server.request_count(), 2u);
}

TEST(S3FaultsTest, ARangedGetCutInItsHeadersIsRetriedAndReadsTheWholeObject) {
  const std::string object = walnut::testing::RandomBytes(3000, 41);
  ScriptedHttpServer server;
  std::atomic<int> gets{0};
  server.SetHandler([&](const RecordedRequest& r) {
    ScriptedResponse response = ServeRange(r, object);
    // The first answer stops inside "Content-Range: ...": a bad Content-Range '' before.
    if (++gets == 1) return CutHeaders(response, 40);
    return response;
  });
  S3Storage storage(OptionsFor(server));
  EXPECT_TRUE(ReadAll(*storage.Get("obj")) == object);
  EXPECT_EQ(gets.load(), 2);
}

TEST(S3FaultsTest, UploadPartAnswersWithoutETagOrCutShortAreRetried) {
  ScriptedHttpServer server;
  MultipartServer s3(server);
  S3Options options = OptionsFor(server);
  options.upload_concurrency = 1;  // parts in order, so the script below meets part 1
  S3Storage storage(options);
  server.Enqueue({200,
                  {},
                  "<InitiateMultipartUploadResult><UploadId>up/1+x</UploadId>"
                  "</InitiateMultipartUploadResult>"});
  server.Enqueue({200, {}, ""});                                    // part 1: no ETag
  server.Enqueue(CutHeaders({200, {{"ETag", "\"p1\""}}, ""}, 17));  // part 1: the status only
  const std::string data = walnut::testing::RandomBytes((5u << 20) + 100, 42);
  auto writer = storage.Put("big");
  writer->Write(AsBytes(data));
  writer->Close();
  EXPECT_EQ(CountRequests(server, "PUT", "partNumber=1&"), 3u);
  std::map<int, std::string> parts = s3.parts();
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_TRUE(parts[1] + parts[2] == data);
  EXPECT_NE(s3.complete_body.find("<ETag>&quot;p1&quot;</ETag>"), std::string::npos);
}

// Multipart uploads whose CompleteMultipartUpload answer is lost after the server completed it.
class LostCompleteServer {
 public:
  LostCompleteServer(ScriptedHttpServer& server, uint64_t stored_size) {
    server.SetHandler([this, stored_size](const RecordedRequest& r) -> ScriptedResponse {
      std::string q = r.Query();
      MutexLock lock(mu_);
      if (r.method == "POST" && q == "uploads=") {
        return {200,
                {},
                "<InitiateMultipartUploadResult><UploadId>u1</UploadId>"
                "</InitiateMultipartUploadResult>"};
      }
      if (r.method == "PUT") return {200, {{"ETag", "\"p\""}}, ""};
      if (r.method == "POST" && q == "uploadId=u1") {
        if (completed_) return {404, {}, S3ErrorXml("NoSuchUpload", "no such upload")};
        completed_ = true;
        return CutHeaders({200, {}, "<CompleteMultipartUploadResult/>"}, 17);
      }
      if (r.method == "HEAD" && completed_) return {200, {}, std::string(stored_size, 'x')};
      if (r.method == "HEAD") return {404, {}, ""};
      if (r.method == "DELETE") return {204, {}, ""};
      return {400, {}, S3ErrorXml("Unexpected", r.method + " " + r.target)};
    });
  }

 private:
  Mutex mu_;
  bool completed_ GUARDED_BY(mu_) = false;
};

TEST(S3FaultsTest, ACompleteWhoseAnswerWasLostIsFoundDoneByItsRetry) {
  const std::string data = walnut::testing::RandomBytes((5u << 20) + 7, 43);
  ScriptedHttpServer server;
  LostCompleteServer s3(server, data.size());
  S3Storage storage(OptionsFor(server));
  auto writer = storage.Put("big");
  writer->Write(AsBytes(data));
  writer->Close();
  EXPECT_EQ(CountRequests(server, "POST", "uploadId="), 2u);
  EXPECT_EQ(CountRequests(server, "HEAD", ""), 1u);
  EXPECT_EQ(CountRequests(server, "DELETE", ""), 0u);
}

TEST(S3FaultsTest, ACompleteRetryThatFindsAnotherObjectFails) {
  const std::string data = walnut::testing::RandomBytes((5u << 20) + 7, 44);
  ScriptedHttpServer server;
  LostCompleteServer s3(server, data.size() + 1);  // someone else's object of another size
  S3Storage storage(OptionsFor(server));
  auto writer = storage.Put("big");
  writer->Write(AsBytes(data));
  Error e = ExpectError([&] { writer->Close(); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound) << e.what();
  EXPECT_NE(std::string(e.what()).find("NoSuchUpload"), std::string::npos) << e.what();
}

TEST(S3FaultsTest, ADeleteAnswerCutShortIsSentAgain) {
  ScriptedHttpServer server;
  server.Enqueue(CutHeaders({200, {}, "<DeleteResult/>"}, 30));
  server.Enqueue({200, {}, "<DeleteResult/>"});
  S3Storage storage(OptionsFor(server));
  storage.Delete(std::vector<std::string>{"a", "b"});
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body, requests[1].body);
}

TEST(S3FaultsTest, AGarbageListPageIsFetchedAgain) {
  ScriptedHttpServer server;
  server.Enqueue({200, {}, "<ListBucketResult><IsTruncated>fal"});
  server.Enqueue({200,
                  {},
                  "<ListBucketResult><IsTruncated>false</IsTruncated>"
                  "<Contents><Key>root/a</Key><Size>1</Size>"
                  "<LastModified>2020-01-01T00:00:00.000Z</LastModified></Contents>"
                  "</ListBucketResult>"});
  S3Storage storage(OptionsFor(server));
  std::vector<std::string> seen;
  storage.List("", {}, [&](const ObjectInfo& info) { seen.push_back(info.key); });
  EXPECT_EQ(seen, std::vector<std::string>{"a"});
  EXPECT_EQ(server.request_count(), 2u);
}

// Options for an endpoint that is dead: many attempts allowed, so the budget is what ends them.
S3Options DeadEndpointOptions(const std::string& endpoint, milliseconds budget) {
  S3Options o = OptionsFor(endpoint);
  o.retry.max_attempts = 1000;
  o.retry.base_delay = milliseconds(10);
  o.retry.max_delay = milliseconds(100);
  o.retry.budget = budget;
  o.stall_timeout = milliseconds(0);  // derived from the budget
  o.connect_timeout = milliseconds(0);
  return o;
}

TEST(S3FaultsTest, ARefusingEndpointFailsWithinTheBudgetSayingWhatWasTried) {
  const std::string endpoint = fmt::format("http://127.0.0.1:{}", walnut::testing::RefusingPort());
  S3Storage storage(DeadEndpointOptions(endpoint, milliseconds(1500)));
  auto start = std::chrono::steady_clock::now();
  Error e = ExpectError([&] { storage.Stat("obj"); });
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, milliseconds(1500));
  EXPECT_GT(elapsed, milliseconds(1000));  // it kept trying
  EXPECT_EQ(e.code(), ErrorCode::kNetwork);
  const std::string message = e.what();
  EXPECT_NE(message.find("HEAD " + endpoint + "/bucket/root/obj"), std::string::npos) << message;
  EXPECT_NE(message.find("attempts in 1."), std::string::npos) << message;
  EXPECT_NE(message.find("WALNUT_STORAGE_RETRY_TIMEOUT=1500ms): check the S3 endpoint " + endpoint +
                         " and the network to it"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(S3FaultsTest, ASilentEndpointFailsWithinTheBudget) {
  walnut::testing::SilentListener silent;
  // A budget of 3 s gives a stall timeout of 1 s (the floor): two attempts fit.
  S3Storage storage(DeadEndpointOptions(silent.endpoint(), seconds(3)));
  auto start = std::chrono::steady_clock::now();
  Error e = ExpectError([&] { storage.Stat("obj"); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(3));
  EXPECT_NE(std::string(e.what()).find("no data moved for 1000 ms (stall timeout)"),
            std::string::npos)
      << e.what();
  EXPECT_EQ(std::string(e.what()).find("gave up after 1 attempt "), std::string::npos)
      << "not retried: " << e.what();
}

// DeleteObjects of 1000 keys or CompleteMultipartUpload: the server works before it answers, as
// long as it needs, which can be longer than the stall timeout (s3rver takes 8 s and more for 1000
// keys on a busy machine). Only the answer may take that long, and only for those calls.
TEST(S3FaultsTest, ASlowServerAnswerOutlastsTheStallTimeoutOnlyWhereTheServerWorks) {
  ScriptedHttpServer server;
  ScriptedResponse slow{200, {}, "<DeleteResult/>"};
  slow.think = milliseconds(2500);
  server.Enqueue(slow);
  S3Options o = DeadEndpointOptions(server.endpoint(), seconds(4));  // stall timeout 1 s
  S3Storage storage(o);
  storage.Delete(std::vector<std::string>{"a", "b"});
  EXPECT_EQ(server.request_count(), 1u);  // not retried

  ScriptedResponse slow_head{200, {{"Content-Length", "0"}}, ""};
  slow_head.think = milliseconds(2500);
  server.SetHandler([&](const RecordedRequest&) { return slow_head; });
  Error e = ExpectError([&] { storage.Stat("obj"); });
  EXPECT_NE(std::string(e.what()).find("(stall timeout)"), std::string::npos) << e.what();
}

TEST(S3FaultsTest, ASlowAnswerIsGivenUpOnAtTheBudgetNamingTheAnswerTimeout) {
  walnut::testing::SilentListener silent;
  S3Storage storage(DeadEndpointOptions(silent.endpoint(), seconds(2)));
  auto start = std::chrono::steady_clock::now();
  Error e = ExpectError([&] { storage.Delete(std::vector<std::string>{"a"}); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(4));
  EXPECT_NE(std::string(e.what()).find("no answer within 2000 ms of sending the request"),
            std::string::npos)
      << e.what();
}

TEST(S3FaultsTest, TimeoutsDeriveFromTheRetryBudget) {
  S3Options o;
  EXPECT_EQ(o.retry.budget, seconds(30));
  EXPECT_EQ(StallTimeoutFor(o), milliseconds(7500));
  EXPECT_EQ(ConnectTimeoutFor(o), milliseconds(7500));
  EXPECT_EQ(AnswerTimeoutFor(o), seconds(30));
  o.retry.budget = seconds(8);
  EXPECT_EQ(StallTimeoutFor(o), seconds(2));
  EXPECT_EQ(ConnectTimeoutFor(o), seconds(2));
  o.retry.budget = seconds(600);
  EXPECT_EQ(StallTimeoutFor(o), seconds(60));
  EXPECT_EQ(ConnectTimeoutFor(o), seconds(10));
  o.retry.budget = milliseconds(900);
  EXPECT_EQ(StallTimeoutFor(o), seconds(1));
  o.stall_timeout = milliseconds(2500);
  EXPECT_EQ(StallTimeoutFor(o), milliseconds(2500));
}

}  // namespace
}  // namespace walnut::s3
