// Object Lock and SSE-C against a scripted loopback server: the exact headers S3 requires (the
// lock mode and date with an integrity header, the customer key on every request that reads or
// writes content and on no other), and the DeleteObjects answers that name locked keys.

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "storage/locked_objects.h"
#include "storage/s3/s3_storage.h"
#include "storage/s3/s3_xml.h"
#include "storage/s3/sigv4.h"
#include "support/log_capture.h"
#include "support/scripted_http_server.h"
#include "support/test_util.h"
#include "unit/s3/scripted_s3.h"

namespace walnut::s3 {
namespace {

using walnut::testing::ExpectError;
using walnut::testing::ReadAll;

constexpr char kCustomerKey[] = "0123456789abcdef0123456789ABCDEF";  // 32 bytes
// base64 of kCustomerKey and of its MD5 (computed with `printf %s KEY | base64`, `| md5sum`).
constexpr char kCustomerKeyBase64[] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlBQkNERUY=";

std::chrono::system_clock::time_point ParseDate(const std::string& s) {
  auto t = ParseIso8601(s);
  EXPECT_TRUE(t.has_value()) << s;
  return t.value_or(std::chrono::system_clock::time_point{});
}

void ExpectLockHeaders(const RecordedRequest& r, const std::string& mode, int days) {
  EXPECT_EQ(r.Header("x-amz-object-lock-mode"), mode) << r.method << " " << r.target;
  std::string until = r.Header("x-amz-object-lock-retain-until-date").value_or("");
  EXPECT_TRUE(std::regex_match(until, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"))) << until;
  auto expected = std::chrono::system_clock::now() + std::chrono::hours(24) * days;
  EXPECT_LT(std::chrono::abs(ParseDate(until) - expected), std::chrono::minutes(1)) << until;
}

TEST(S3ObjectLockTest, ASinglePutCarriesTheLockAndContentMd5) {
  ScriptedHttpServer server;
  server.Enqueue({200, {{"ETag", "\"x\""}}, ""});
  S3Options options = OptionsFor(server);
  options.retention_days = 30;
  options.retention_mode = "COMPLIANCE";
  S3Storage storage(options);
  auto writer = storage.Put("obj", PutOptions{5, {}});
  writer->Write(AsBytes(std::string("hello")));
  writer->Close();
  const RecordedRequest r = server.requests().at(0);
  ASSERT_EQ(r.method, "PUT");
  ExpectLockHeaders(r, "COMPLIANCE", 30);
  EXPECT_EQ(r.Header("content-md5"), Md5Base64(AsBytes(std::string("hello"))));
}

TEST(S3ObjectLockTest, AMultipartUploadLocksAtCreationAndSendsContentMd5OnEachPart) {
  ScriptedHttpServer server;
  MultipartServer s3(server);
  S3Options options = OptionsFor(server);
  options.retention_days = 7;
  s3.head_headers = {{"x-amz-object-lock-mode", "GOVERNANCE"}};
  S3Storage storage(options);
  const std::string data = walnut::testing::RandomBytes((5u << 20) * 2 + 10, 3);
  auto writer = storage.Put("big");
  writer->Write(AsBytes(data));
  writer->Close();
  int parts = 0;
  for (const RecordedRequest& r : server.requests()) {
    if (r.method == "POST" && r.Query() == "uploads=") ExpectLockHeaders(r, "GOVERNANCE", 7);
    if (r.method == "PUT") {
      ++parts;
      EXPECT_EQ(r.Header("content-md5"), Md5Base64(AsBytes(r.body))) << r.target;
      EXPECT_FALSE(r.Header("x-amz-object-lock-mode").has_value()) << "a part takes no lock";
    }
  }
  EXPECT_EQ(parts, 3);
  // The server locked it at creation, as AWS does: nothing more to do.
  EXPECT_TRUE(s3.retention_body.empty()) << s3.retention_body;
}

TEST(S3ObjectLockTest, AMultipartObjectTheServerLeftUnlockedGetsItsRetentionSet) {
  ScriptedHttpServer server;
  MultipartServer s3(server);
  S3Options options = OptionsFor(server);
  options.retention_days = 2;
  S3Storage storage(options);
  auto writer = storage.Put("big");
  writer->Write(AsBytes(walnut::testing::RandomBytes((5u << 20) + 1, 3)));
  writer->Close();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      s3.retention_body, m,
      std::regex("<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>GOVERNANCE"
                 "</Mode><RetainUntilDate>([^<]+)</RetainUntilDate></Retention>")))
      << s3.retention_body;
  auto expected = std::chrono::system_clock::now() + std::chrono::hours(48);
  EXPECT_LT(std::chrono::abs(ParseDate(m[1]) - expected), std::chrono::minutes(1));
  for (const RecordedRequest& r : server.requests()) {
    if (r.Query() == "retention=") {
      EXPECT_EQ(r.Header("content-md5"), Md5Base64(AsBytes(r.body)));
    }
  }
}

TEST(S3ObjectLockTest, WithoutRetentionNothingIsLockedAndNoMd5IsComputed) {
  ScriptedHttpServer server;
  server.Enqueue({200, {{"ETag", "\"x\""}}, ""});
  S3Storage storage(OptionsFor(server));
  auto writer = storage.Put("obj", PutOptions{2, {}});
  writer->Write(AsBytes(std::string("hi")));
  writer->Close();
  const RecordedRequest r = server.requests().at(0);
  EXPECT_FALSE(r.Header("x-amz-object-lock-mode").has_value());
  EXPECT_FALSE(r.Header("content-md5").has_value());
}

TEST(S3ObjectLockTest, BadRetentionSettingsAreRefusedByName) {
  ScriptedHttpServer server;
  S3Options options = OptionsFor(server);
  options.retention_days = 0;
  EXPECT_NE(
      std::string(ExpectError([&] { S3Storage s(options); }).what()).find("S3_RETENTION_PERIOD"),
      std::string::npos);
  options.retention_days = 1;
  options.retention_mode = "governance-ish";
  EXPECT_NE(
      std::string(ExpectError([&] { S3Storage s(options); }).what()).find("S3_RETENTION_MODE"),
      std::string::npos);
}

// An answer naming `locked` keys AccessDenied, as S3 does for versions under retention.
std::string DeniedAnswer(const std::vector<std::string>& keys, const std::string& message) {
  std::string body = "<DeleteResult>";
  for (const auto& key : keys) {
    body += "<Error><Key>" + key + "</Key><Code>AccessDenied</Code><Message>" + message +
            "</Message></Error>";
  }
  return body + "</DeleteResult>";
}

TEST(S3ObjectLockTest, LockedKeysAreCountedWithTheirDateAndTheOthersStillDeleted) {
  ScriptedHttpServer server;
  // First batch: two of three keys locked; second batch: all deleted.
  server.Enqueue({200, {}, DeniedAnswer({"root/a", "root/c"}, "Access Denied")});
  server.Enqueue({200,
                  {},
                  "<Retention><Mode>COMPLIANCE</Mode>"
                  "<RetainUntilDate>2099-01-02T03:04:05.000Z</RetainUntilDate></Retention>"});
  server.Enqueue({200, {}, "<DeleteResult/>"});
  S3Options options = OptionsFor(server);
  options.delete_batch_size = 3;
  S3Storage storage(options);
  try {
    storage.Delete(std::vector<std::string>{"a", "b", "c", "d"});
    FAIL() << "locked keys were reported deleted";
  } catch (const ObjectsLockedError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
    EXPECT_EQ(e.locked().keys, (std::vector<std::string>{"a", "c"}));
    ASSERT_TRUE(e.locked().retain_until.has_value());
    EXPECT_EQ(DescribeRetainUntil(e.locked().retain_until), "2099-01-02T03:04:05Z");
    EXPECT_NE(std::string(e.what()).find("2 objects not deleted"), std::string::npos) << e.what();
  }
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].method, "GET");
  EXPECT_EQ(requests[1].target, "/bucket/root/a?retention=");
  EXPECT_NE(requests[2].body.find("<Key>root/d</Key>"), std::string::npos) << requests[2].body;
}

TEST(S3ObjectLockTest, AnAccessDeniedWithoutARetentionIsAPermissionError) {
  ScriptedHttpServer server;
  server.Enqueue({200, {}, DeniedAnswer({"root/a"}, "Access Denied")});
  server.Enqueue({404, {}, S3ErrorXml("NoSuchObjectLockConfiguration", "none")});
  S3Storage storage(OptionsFor(server));
  try {
    storage.Delete(std::vector<std::string>{"a"});
    FAIL() << "an undeleted key was reported deleted";
  } catch (const ObjectsLockedError& e) {
    FAIL() << "taken for a lock: " << e.what();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied) << e.what();
  }
}

TEST(S3ObjectLockTest, AnObjectLockMessageIsALockEvenWhenTheRetentionCannotBeRead) {
  ScriptedHttpServer server;
  server.Enqueue({200, {}, DeniedAnswer({"root/a"}, "forbidden by object lock")});
  server.Enqueue({403, {}, S3ErrorXml("AccessDenied", "no s3:GetObjectRetention")});
  S3Storage storage(OptionsFor(server));
  try {
    storage.Delete(std::vector<std::string>{"a"});
    FAIL() << "a locked key was reported deleted";
  } catch (const ObjectsLockedError& e) {
    EXPECT_EQ(e.locked().keys.size(), 1u);
    EXPECT_FALSE(e.locked().retain_until.has_value());
    EXPECT_NE(std::string(e.what()).find("an unknown date"), std::string::npos) << e.what();
  }
}

// SSE-C: the key goes with PutObject, CreateMultipartUpload, UploadPart, GetObject and
// HeadObject, and with nothing else.
void ExpectCustomerKey(const RecordedRequest& r, bool expected) {
  auto key = r.Header("x-amz-server-side-encryption-customer-key");
  if (!expected) {
    EXPECT_FALSE(key.has_value()) << r.method << " " << r.target;
    return;
  }
  EXPECT_EQ(key, kCustomerKeyBase64) << r.method << " " << r.target;
  EXPECT_EQ(r.Header("x-amz-server-side-encryption-customer-algorithm"), "AES256");
  EXPECT_EQ(r.Header("x-amz-server-side-encryption-customer-key-md5"),
            Md5Base64(AsBytes(std::string(kCustomerKey))));
  EXPECT_FALSE(r.Header("x-amz-server-side-encryption").has_value());
}

TEST(S3SseCustomerKeyTest, TheKeyGoesWithEveryContentRequestAndNoOther) {
  ScriptedHttpServer server;
  MultipartServer s3(server);
  S3Options options = OptionsFor(server);
  options.sse = "AES256";
  options.sse_customer_key = SecretString(kCustomerKey);
  S3Storage storage(options);
  auto writer = storage.Put("big");
  writer->Write(AsBytes(walnut::testing::RandomBytes((5u << 20) + 1, 4)));
  writer->Close();
  for (const RecordedRequest& r : server.requests()) {
    const bool complete = r.method == "POST" && r.Query().starts_with("uploadId=");
    ExpectCustomerKey(r, !complete);
  }
  const size_t uploaded = server.request_count();
  const std::string object = "content";
  server.SetHandler([&](const RecordedRequest& r) {
    if (r.Query() == "delete=") return ScriptedResponse{200, {}, "<DeleteResult/>"};
    return walnut::s3::ServeRange(r, object);
  });
  EXPECT_EQ(ReadAll(*storage.Get("big")), object);
  storage.Stat("big");
  storage.Delete(std::vector<std::string>{"big"});
  auto requests = server.requests();
  for (size_t i = uploaded; i < requests.size(); ++i) {
    ExpectCustomerKey(requests[i], requests[i].Query() != "delete=");
  }
}

TEST(S3SseCustomerKeyTest, TheKeyNeverReachesALogOrAnError) {
  ScriptedHttpServer server;
  server.Enqueue({403, {}, S3ErrorXml("AccessDenied", "wrong key")});
  S3Options options = OptionsFor(server);
  options.sse_customer_key = SecretString(kCustomerKey);
  S3Storage storage(options);
  walnut::testing::LogCapture logs(spdlog::level::trace);
  Error e = ExpectError([&] { ReadAll(*storage.Get("obj")); });
  for (const std::string& text : {std::string(e.what()), logs.str()}) {
    EXPECT_EQ(text.find(kCustomerKey), std::string::npos) << text;
    EXPECT_EQ(text.find(kCustomerKeyBase64), std::string::npos) << text;
  }
}

TEST(S3SseCustomerKeyTest, AKeyOfTheWrongSizeIsRefused) {
  ScriptedHttpServer server;
  S3Options options = OptionsFor(server);
  options.sse_customer_key = SecretString(std::string("short"));
  EXPECT_NE(std::string(ExpectError([&] { S3Storage s(options); }).what()).find("WALG_S3_SSE_C"),
            std::string::npos);
}

}  // namespace
}  // namespace walnut::s3
