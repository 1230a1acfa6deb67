// S3Storage against a scripted loopback server: retries, faults, timeouts and the exact requests
// (including that what is sent is what was signed), which s3rver cannot show.

#include <atomic>
#include <chrono>
#include <map>
#include <regex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/mutex.h"
#include "storage/s3/s3_storage.h"
#include "storage/s3/sigv4.h"
#include "support/scripted_http_server.h"
#include "support/test_util.h"
#include "unit/s3/scripted_s3.h"

namespace walnut::s3 {
namespace {

using walnut::testing::ExpectError;
using walnut::testing::ReadAll;
using Fault = ScriptedResponse::Fault;

void ExpectNoSecrets(const std::string& message) {
  EXPECT_EQ(message.find(kSecret), std::string::npos) << message;
  EXPECT_EQ(message.find(kToken), std::string::npos) << message;
}

TEST(S3ScriptedTest, A500ThenA200IsRetriedAndSucceeds) {
  ScriptedHttpServer server;
  server.Enqueue({500, {}, S3ErrorXml("InternalError", "We encountered an internal error")});
  server.Enqueue(
      {200, {{"Content-Length", "5"}, {"Last-Modified", "Mon, 12 Oct 2009 17:50:30 GMT"}}, ""});
  S3Storage storage(OptionsFor(server));
  // A HEAD answer has no body; the scripted Content-Length is overridden by the server's own.
  auto info = storage.Stat("a/b");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->key, "a/b");
  ASSERT_EQ(server.request_count(), 2u);
  for (const auto& r : server.requests()) {
    EXPECT_EQ(r.method, "HEAD");
    EXPECT_EQ(r.target, "/bucket/root/a/b");
    ExpectValidSignature(r);
  }
}

TEST(S3ScriptedTest, A503ForeverGivesUpAfterMaxAttempts) {
  ScriptedHttpServer server;
  server.SetHandler([](const RecordedRequest&) -> ScriptedResponse {
    return {503, {}, S3ErrorXml("SlowDown", "Please reduce your request rate.")};
  });
  S3Storage storage(OptionsFor(server));
  auto writer = storage.Put("obj");
  writer->Write(AsBytes(std::string("hello")));
  Error e = ExpectError([&] { writer->Close(); });
  EXPECT_EQ(server.request_count(), 3u);
  EXPECT_EQ(e.code(), ErrorCode::kNetwork);
  // Retried here already: nothing above may retry it again (retries are never stacked).
  EXPECT_FALSE(e.retryable());
  // The error of the last attempt, what was tried, and what to check.
  EXPECT_EQ(std::string(e.what()).rfind("s3 PutObject s3://bucket/root/obj failed: HTTP 503: "
                                        "SlowDown: Please reduce your request rate.; gave up after "
                                        "3 attempts in ",
                                        0),
            0u)
      << e.what();
  EXPECT_NE(std::string(e.what()).find("(WALG_S3_MAX_RETRIES=2, WALNUT_STORAGE_RETRY_TIMEOUT=30s): "
                                       "check the S3 endpoint " +
                                       server.endpoint()),
            std::string::npos)
      << e.what();
}

TEST(S3ScriptedTest, A403IsNotRetriedAndTheErrorNamesEverything) {
  ScriptedHttpServer server;
  server.Enqueue({403, {}, S3ErrorXml("AccessDenied", "Access Denied")});
  S3Storage storage(OptionsFor(server));
  Error e = ExpectError([&] { storage.Get("secret/file"); });
  EXPECT_EQ(server.request_count(), 1u);
  EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied);
  EXPECT_FALSE(e.retryable());
  EXPECT_EQ(std::string(e.what()),
            "s3 GetObject s3://bucket/root/secret/file failed: HTTP 403: AccessDenied: Access "
            "Denied (credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
  ExpectNoSecrets(e.what());
}

TEST(S3ScriptedTest, A404OnGetIsNotFoundAndOnStatIsAbsent) {
  ScriptedHttpServer server;
  server.Enqueue({404, {}, S3ErrorXml("NoSuchKey", "The specified key does not exist.")});
  server.Enqueue({404, {}, ""});
  S3Storage storage(OptionsFor(server));
  Error e = ExpectError([&] { storage.Get("missing"); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(std::string(e.what()), "object s3://bucket/root/missing not found");
  EXPECT_FALSE(storage.Stat("missing").has_value());
  EXPECT_EQ(server.request_count(), 2u);
}

TEST(S3ScriptedTest, AResetMidBodyIsResumedWhereItStopped) {
  const std::string object = walnut::testing::RandomBytes(1000, 4);
  ScriptedHttpServer server;
  bool reset_once = false;
  server.SetHandler([&](const RecordedRequest& r) {
    ScriptedResponse response = ServeRange(r, object);
    if (!reset_once) {
      reset_once = true;
      response.fault = Fault::kResetMidBody;
      response.body_bytes_before_fault = 300;
    }
    return response;
  });
  S3Storage storage(OptionsFor(server));
  EXPECT_EQ(ReadAll(*storage.Get("obj")), object);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].Header("range"), "bytes=0-8388607");
  // The retry asks only for the bytes not yet received, for the same object version.
  EXPECT_EQ(requests[1].Header("range"), "bytes=300-8388607");
  EXPECT_EQ(requests[1].Header("if-match"), "\"etag-1\"");
}

TEST(S3ScriptedTest, AStalledTransferTimesOutAndIsRetried) {
  const std::string object = walnut::testing::RandomBytes(5000, 5);
  ScriptedHttpServer server;
  server.SetHandler([&](const RecordedRequest& r) {
    ScriptedResponse response = ServeRange(r, object);
    response.fault = Fault::kStallMidBody;
    response.body_bytes_before_fault = 10;
    return response;
  });
  S3Options options = OptionsFor(server);
  options.retry.max_attempts = 2;
  S3Storage storage(options);
  auto start = std::chrono::steady_clock::now();
  Error e = ExpectError([&] { storage.Get("obj"); });
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(e.code(), ErrorCode::kNetwork) << e.what();
  EXPECT_NE(std::string(e.what()).find("stall timeout"), std::string::npos) << e.what();
  EXPECT_EQ(server.request_count(), 2u);
  // Two attempts of about one second each.
  EXPECT_LT(elapsed, std::chrono::seconds(6));
  // The second attempt resumed after the 10 bytes the first one got.
  EXPECT_EQ(server.requests()[1].Header("range"), "bytes=10-8388607");
}

TEST(S3ScriptedTest, AnUnparsable200IsRetriedAsADamagedAnswer) {
  // A captive portal, or a list page cut short: either way not the answer; retried, then reported.
  ScriptedHttpServer server;
  server.SetHandler([](const RecordedRequest&) -> ScriptedResponse {
    return {200, {}, "<html>hello from a captive portal</html>"};
  });
  S3Storage storage(OptionsFor(server));
  Error e = ExpectError([&] { storage.List("", {}, [](const ObjectInfo&) {}); });
  EXPECT_EQ(e.code(), ErrorCode::kProtocol);
  EXPECT_EQ(server.request_count(), 3u);
  EXPECT_NE(std::string(e.what()).find("s3 ListObjectsV2 s3://bucket/root/: unexpected "
                                       "ListObjectsV2 response: root element <html>"),
            std::string::npos)
      << e.what();
  EXPECT_NE(std::string(e.what()).find("gave up after 3 attempts"), std::string::npos) << e.what();
}

TEST(S3ScriptedTest, ReadsInChunksWithIfMatchAndDetectsAReplacedObject) {
  const std::string object = walnut::testing::RandomBytes(200000, 6);
  ScriptedHttpServer server;
  std::atomic<int> gets{0};
  server.SetHandler([&](const RecordedRequest& r) {
    // The object is replaced after the second chunk was served.
    return ServeRange(r, object, ++gets <= 2 ? "\"v1\"" : "\"v2\"");
  });
  S3Options options = OptionsFor(server);
  options.read_chunk_size = 64u << 10;
  S3Storage storage(options);
  auto reader = storage.Get("obj");
  Error e = ExpectError([&] { ReadAll(*reader); });
  EXPECT_EQ(e.code(), ErrorCode::kProtocol);
  EXPECT_EQ(std::string(e.what()),
            "object s3://bucket/root/obj changed while it was being read (its ETag is no longer "
            "\"v1\"); read it again");
  auto requests = server.requests();
  ASSERT_GE(requests.size(), 3u);
  EXPECT_FALSE(requests[0].Header("if-match").has_value());
  EXPECT_EQ(requests[1].Header("range"), "bytes=65536-131071");
  EXPECT_EQ(requests[1].Header("if-match"), "\"v1\"");
}

TEST(S3ScriptedTest, RangesAndEndOfObject) {
  const std::string object = walnut::testing::RandomBytes(1000, 7);
  ScriptedHttpServer server;
  server.SetHandler([&](const RecordedRequest& r) { return ServeRange(r, object); });
  S3Storage storage(OptionsFor(server));
  EXPECT_EQ(ReadAll(*storage.Get("obj", {100, 50})), object.substr(100, 50));
  EXPECT_EQ(server.requests().back().Header("range"), "bytes=100-149");
  EXPECT_EQ(ReadAll(*storage.Get("obj", {990, 100})), object.substr(990));
  // At or past the end: S3 answers 416, which is an empty stream; the metadata comes from a HEAD.
  auto past_end = storage.Get("obj", {1000, std::nullopt});
  EXPECT_EQ(ReadAll(*past_end), "");
  EXPECT_EQ(server.requests().back().method, "HEAD");
  EXPECT_EQ(past_end->metadata().at("walnut-sha256"), "h");
  EXPECT_EQ(ReadAll(*storage.Get("obj", {5000, 10})), "");
}

TEST(S3ScriptedTest, ListPaginatesWithEncodedSignedTokens) {
  ScriptedHttpServer server;
  server.Enqueue({200,
                  {},
                  "<ListBucketResult><IsTruncated>true</IsTruncated>"
                  "<NextContinuationToken>tok/en+with=</NextContinuationToken>"
                  "<Contents><Key>root/a</Key><Size>1</Size>"
                  "<LastModified>2020-01-01T00:00:00.000Z</LastModified></Contents>"
                  "<CommonPrefixes><Prefix>root/d/</Prefix></CommonPrefixes>"
                  "</ListBucketResult>"});
  server.Enqueue({200,
                  {},
                  "<ListBucketResult><IsTruncated>false</IsTruncated>"
                  "<Contents><Key>root/z</Key><Size>2</Size>"
                  "<LastModified>2020-01-01T00:00:00.000Z</LastModified></Contents>"
                  "</ListBucketResult>"});
  S3Storage storage(OptionsFor(server));
  std::vector<std::string> seen;
  storage.List("", ListOptions{false}, [&](const ObjectInfo& info) {
    seen.push_back(info.key + (info.is_prefix ? "(prefix)" : ""));
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "d/(prefix)", "z"}));
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].target, "/bucket?delimiter=%2F&list-type=2&max-keys=1000&prefix=root%2F");
  EXPECT_EQ(requests[1].target,
            "/bucket?continuation-token=tok%2Fen%2Bwith%3D&delimiter=%2F&list-type=2&max-keys=1000"
            "&prefix=root%2F");
  for (const auto& r : requests) ExpectValidSignature(r);
}

TEST(S3ScriptedTest, DeleteSendsContentMd5AndReportsPerKeyErrors) {
  ScriptedHttpServer server;
  server.Enqueue({200,
                  {},
                  "<DeleteResult><Error><Key>root/b</Key><Code>AccessDenied</Code>"
                  "<Message>Access Denied</Message></Error></DeleteResult>"});
  S3Storage storage(OptionsFor(server));
  Error e = ExpectError([&] { storage.Delete(std::vector<std::string>{"a", "b & c"}); });
  EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(std::string(e.what()).find("root/b (AccessDenied: Access Denied)"), std::string::npos)
      << e.what();
  auto r = server.requests().at(0);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/bucket?delete=");
  EXPECT_EQ(r.Header("content-md5"), Md5Base64(AsBytes(r.body)));
  EXPECT_NE(r.body.find("<Key>root/b &amp; c</Key>"), std::string::npos) << r.body;
  ExpectValidSignature(r);
}

TEST(S3ScriptedTest, DeleteBatchesByAThousand) {
  ScriptedHttpServer server;
  server.SetHandler([](const RecordedRequest&) -> ScriptedResponse {
    return {200, {}, "<DeleteResult/>"};
  });
  S3Storage storage(OptionsFor(server));
  std::vector<std::string> keys;
  for (int i = 0; i < 2001; ++i) keys.push_back("k" + std::to_string(i));
  storage.Delete(keys);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  auto count = [](const std::string& body) {
    size_t n = 0;
    for (size_t p = 0; (p = body.find("<Object>", p)) != std::string::npos; ++p) ++n;
    return n;
  };
  EXPECT_EQ(count(requests[0].body), 1000u);
  EXPECT_EQ(count(requests[1].body), 1000u);
  EXPECT_EQ(count(requests[2].body), 1u);
}

TEST(S3ScriptedTest, SinglePutCarriesClassEncryptionAndPayloadHash) {
  ScriptedHttpServer server;
  server.Enqueue({200, {{"ETag", "\"x\""}}, ""});
  S3Options options = OptionsFor(server);
  options.storage_class = "STANDARD_IA";
  options.sse = "AES256";
  S3Storage storage(options);
  auto writer = storage.Put("dir/obj", PutOptions{5, {}});
  writer->Write(AsBytes(std::string("hello")));
  writer->Close();
  auto r = server.requests().at(0);
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.target, "/bucket/root/dir/obj");
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.Header("x-amz-storage-class"), "STANDARD_IA");
  EXPECT_EQ(r.Header("x-amz-server-side-encryption"), "AES256");
  EXPECT_EQ(r.Header("x-amz-content-sha256"), Sha256Hex(AsBytes(std::string("hello"))));
  EXPECT_EQ(r.Header("x-amz-security-token"), kToken);
  ExpectValidSignature(r);
}

TEST(S3ScriptedTest, MultipartUploadSendsSignedPartsAndCompletesInOrder) {
  ScriptedHttpServer server;
  MultipartServer s3(server);
  S3Options options = OptionsFor(server);
  options.upload_concurrency = 3;
  S3Storage storage(options);
  const std::string data = walnut::testing::RandomBytes((5u << 20) * 3 + 12345, 8);
  auto writer = storage.Put("big");
  walnut::testing::WriteInRandomChunks(*writer, data, 1 << 20);
  std::map<int, std::string> parts = s3.parts();
  ASSERT_EQ(parts.size(), 4u);
  std::string joined;
  for (auto& [n, body] : parts) joined += body;
  EXPECT_TRUE(joined == data);
  EXPECT_EQ(parts[1].size(), 5u << 20);
  EXPECT_EQ(parts[4].size(), 12345u);
  EXPECT_EQ(s3.complete_body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUpload>"
            "<Part><PartNumber>1</PartNumber><ETag>&quot;p1&quot;</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>&quot;p2&quot;</ETag></Part>"
            "<Part><PartNumber>3</PartNumber><ETag>&quot;p3&quot;</ETag></Part>"
            "<Part><PartNumber>4</PartNumber><ETag>&quot;p4&quot;</ETag></Part>"
            "</CompleteMultipartUpload>");
  EXPECT_EQ(s3.aborts.load(), 0);
  EXPECT_EQ(storage.stats().parts_uploaded.load(), 4u);
  for (const auto& r : server.requests()) ExpectValidSignature(r);
}

TEST(S3ScriptedTest, AFailedPartAbortsTheUpload) {
  ScriptedHttpServer server;
  MultipartServer s3(server, /*fail_part=*/2);
  S3Storage storage(OptionsFor(server));
  const std::string data = walnut::testing::RandomBytes((5u << 20) * 4, 9);
  auto writer = storage.Put("big");
  Error e = ExpectError([&] {
    writer->Write(AsBytes(data));
    writer->Close();
  });
  EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied) << e.what();
  EXPECT_NE(std::string(e.what()).find("UploadPart 2"), std::string::npos) << e.what();
  writer.reset();
  EXPECT_EQ(s3.aborts.load(), 1);
  EXPECT_TRUE(s3.complete_body.empty());
}

TEST(S3ScriptedTest, AbortCutsShortAPartUploadInFlight) {
  ScriptedHttpServer server;
  MultipartServer s3(server);
  S3Options options = OptionsFor(server);
  options.stall_timeout = std::chrono::seconds(60);
  S3Storage storage(options);
  auto writer = storage.Put("big");
  server.Enqueue({200,
                  {},
                  "<InitiateMultipartUploadResult><UploadId>up/1+x</UploadId>"
                  "</InitiateMultipartUploadResult>"});
  // Part 1 is received but never answered.
  server.Enqueue({200, {}, "", Fault::kStallMidBody, 0});
  writer->Write(AsBytes(walnut::testing::RandomBytes((5u << 20) + 1, 11)));
  while (server.request_count() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto start = std::chrono::steady_clock::now();
  writer->Abort();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_EQ(s3.aborts.load(), 1);
}

TEST(S3ScriptedTest, AbortFailureIsLoggedNotThrown) {
  ScriptedHttpServer server;
  MultipartServer s3(server);
  S3Storage storage(OptionsFor(server));
  auto writer = storage.Put("big");
  writer->Write(AsBytes(walnut::testing::RandomBytes((5u << 20) + 1, 10)));
  // Replace the handler's abort answer with s3rver's 405.
  server.Enqueue({405, {}, S3ErrorXml("MethodNotAllowed", "not allowed")});
  writer->Abort();  // must not throw
  writer.reset();
  EXPECT_TRUE(s3.complete_body.empty());
}

}  // namespace
}  // namespace walnut::s3
