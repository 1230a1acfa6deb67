// S3_REQUEST_ADDITIONAL_HEADERS, S3_DISABLE_100_CONTINUE and WALG_S3_USE_LIST_OBJECTS_V1 against
// a scripted server, and how the settings read them.

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/logging.h"
#include "storage/s3/request_headers.h"
#include "storage/s3/s3_client.h"
#include "storage/s3/s3_settings.h"
#include "storage/s3/s3_storage.h"
#include "storage/s3/s3_xml.h"
#include "support/log_capture.h"
#include "support/scripted_http_server.h"
#include "support/test_util.h"
#include "unit/s3/scripted_s3.h"

namespace walnut::s3 {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using walnut::testing::ExpectError;

[[maybe_unused]] const bool kRegistered = [] {
  RegisterSettingSpecs(S3SettingSpecs());
  return true;
}();

S3Options Load(Environment env) {
  env.emplace("AWS_ACCESS_KEY_ID", "AKID");
  env.emplace("AWS_SECRET_ACCESS_KEY", "SECRET");
  env.emplace("WALG_S3_PREFIX", "s3://b");
  Config config({}, env);
  return S3OptionsFromConfig(config, LoadSettings(config));
}

std::string LoadError(Environment env) {
  Error e = ExpectError([&] { Load(std::move(env)); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
  return e.what();
}

TEST(S3RequestOptionsTest, RegionIsAskedForOnlyOnAwsAsInWalG) {
  EXPECT_EQ(Load({}).region, "");  // AWS: ask the bucket
  EXPECT_EQ(Load({{"AWS_ENDPOINT", "https://s3.eu-west-1.amazonaws.com"}}).region, "");
  EXPECT_EQ(Load({{"AWS_ENDPOINT", "http://minio:9000"}}).region, "us-east-1");
  EXPECT_EQ(Load({{"AWS_REGION", "eu-north-1"}}).region, "eu-north-1");
  EXPECT_EQ(Load({{"AWS_REGION", ""}, {"AWS_DEFAULT_REGION", "ap-south-1"}}).region, "ap-south-1");
}

TEST(S3RequestOptionsTest, SettingsAreReadWithWalGsDefaults) {
  S3Options d = Load({});
  EXPECT_TRUE(d.expect_continue);  // S3_DISABLE_100_CONTINUE=false, WAL-G's default
  EXPECT_FALSE(d.list_objects_v1);
  EXPECT_TRUE(d.additional_headers.empty());
  S3Options o = Load({{"S3_DISABLE_100_CONTINUE", "true"},
                      {"WALG_S3_USE_LIST_OBJECTS_V1", "true"},
                      {"S3_REQUEST_ADDITIONAL_HEADERS", R"({"X-Tenant": "t1", "X-Trace": "on"})"}});
  EXPECT_FALSE(o.expect_continue);
  EXPECT_TRUE(o.list_objects_v1);
  EXPECT_EQ(o.additional_headers, (net::HttpHeaders{{"X-Tenant", "t1"}, {"X-Trace", "on"}}));
  // WAL-G's other spelling: a list of one-header objects.
  EXPECT_EQ(Load({{"S3_REQUEST_ADDITIONAL_HEADERS", R"([{"X-A": "1"}, {"X-B": "2"}])"}})
                .additional_headers,
            (net::HttpHeaders{{"X-A", "1"}, {"X-B", "2"}}));
}

TEST(S3RequestOptionsTest, HeadersThatBreakSigningAreRefusedWithoutShowingValues) {
  const std::string secret = "tOkEn-VaLuE-123";
  for (const char* name : {"Host", "authorization", "X-Amz-Date", "x-amz-content-sha256"}) {
    std::string e = LoadError(
        {{"S3_REQUEST_ADDITIONAL_HEADERS", fmt::format(R"({{"{}": "{}"}})", name, secret)}});
    EXPECT_THAT(e, HasSubstr("S3_REQUEST_ADDITIONAL_HEADERS"));
    EXPECT_THAT(e, HasSubstr(name));
    EXPECT_THAT(e, Not(HasSubstr(secret)));
  }
  for (std::string text :
       {"[1, 2]", "just text", "{\"X-A\": {\"nested\": 1}}", "{\"bad name\": \"v\"}",
        "{\"X-A\": \"a\\nb\"}", "{\"X-A\": ", "[{\"X-A\": \"1\"}, {\"x-a\": \"2\"}]"}) {
    std::string e = LoadError({{"S3_REQUEST_ADDITIONAL_HEADERS", text}});
    EXPECT_THAT(e, HasSubstr("S3_REQUEST_ADDITIONAL_HEADERS")) << text;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
}

TEST(S3RequestOptionsTest, AdditionalHeadersGoOnEveryRequestSignedAndNeverLogged) {
  ScriptedHttpServer server;
  server.SetHandler([](const RecordedRequest& r) -> ScriptedResponse {
    if (r.method == "HEAD") return {200, {{"Content-Length", "0"}}, ""};
    return {200, {}, "<DeleteResult></DeleteResult>"};
  });
  S3Options o = OptionsFor(server);
  o.additional_headers = {{"X-Tenant", "secret-tenant-7"}, {"Content-Type", "text/x-mine"}};
  S3Storage storage(o);
  walnut::testing::LogCapture log(spdlog::level::trace);
  ASSERT_TRUE(storage.Stat("k").has_value());
  storage.Delete(std::vector<std::string>{"k"});
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  for (const auto& r : requests) {
    EXPECT_EQ(r.Header("x-tenant"), "secret-tenant-7");
    EXPECT_EQ(r.Header("content-type"), "text/x-mine");  // the user's value wins
    EXPECT_THAT(*r.Header("authorization"), HasSubstr("x-tenant"));
    ExpectValidSignature(r);
  }
  EXPECT_THAT(log.str(), HasSubstr("X-Tenant: ***"));
  EXPECT_THAT(log.str(), Not(HasSubstr("secret-tenant-7")));
}

TEST(S3RequestOptionsTest, ExpectContinueOnlyForLargeBodiesAndOnlyWhenNotDisabled) {
  for (bool expect : {true, false}) {
    ScriptedHttpServer server;
    MultipartServer multipart(server);
    S3Options o = OptionsFor(server);
    o.expect_continue = expect;
    S3Storage storage(o);
    std::string data((5u << 20) + 100, 'x');  // one full part and a small one
    auto writer = storage.Put("obj", PutOptions{});
    writer->Write(AsBytes(data));
    writer->Close();
    int with_expect = 0;
    for (const auto& r : server.requests()) {
      if (!r.Header("expect")) continue;
      EXPECT_EQ(r.Header("expect"), "100-continue");
      EXPECT_GE(r.body.size(), 2u << 20) << r.method << " " << r.target;
      ++with_expect;
    }
    EXPECT_EQ(with_expect, expect ? 1 : 0);
    EXPECT_EQ(multipart.parts().at(1).size(), 5u << 20);
  }
}

// A v1 page of `keys` (full keys), truncated or not, with a <NextMarker> when given.
std::string V1Page(const std::vector<std::string>& keys, const std::vector<std::string>& prefixes,
                   bool truncated, const std::string& next_marker = "") {
  std::string xml =
      fmt::format("<ListBucketResult><IsTruncated>{}</IsTruncated>", truncated ? "true" : "false");
  if (!next_marker.empty()) xml += "<NextMarker>" + next_marker + "</NextMarker>";
  for (const auto& k : keys) {
    xml += "<Contents><Key>" + k +
           "</Key><Size>1</Size><LastModified>2020-01-01T00:00:00.000Z</LastModified></Contents>";
  }
  for (const auto& p : prefixes)
    xml += "<CommonPrefixes><Prefix>" + p + "</Prefix></CommonPrefixes>";
  return xml + "</ListBucketResult>";
}

TEST(S3RequestOptionsTest, ListObjectsV1PagesByMarker) {
  ScriptedHttpServer server;
  // Without a delimiter S3 sends no <NextMarker>: the last key is the marker.
  server.Enqueue({200, {}, V1Page({"root/a", "root/b"}, {}, true)});
  server.Enqueue({200, {}, V1Page({"root/c"}, {}, false)});
  // With one it does, and it may be a common prefix.
  server.Enqueue({200, {}, V1Page({"root/a"}, {"root/d/"}, true, "root/d/")});
  server.Enqueue({200, {}, V1Page({"root/e"}, {}, false)});
  S3Options o = OptionsFor(server);
  o.list_objects_v1 = true;
  S3Storage storage(o);
  std::vector<std::string> seen;
  auto collect = [&](const ObjectInfo& info) {
    seen.push_back(info.key + (info.is_prefix ? "(prefix)" : ""));
  };
  storage.List("", ListOptions{true}, collect);
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c"}));
  seen.clear();
  storage.List("", ListOptions{false}, collect);
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "d/(prefix)", "e"}));
  auto r = server.requests();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].target, "/bucket?max-keys=1000&prefix=root%2F");
  EXPECT_EQ(r[1].target, "/bucket?marker=root%2Fb&max-keys=1000&prefix=root%2F");
  EXPECT_EQ(r[3].target, "/bucket?delimiter=%2F&marker=root%2Fd%2F&max-keys=1000&prefix=root%2F");
  for (const auto& request : r) ExpectValidSignature(request);
}

TEST(S3RequestOptionsTest, AV1MarkerThatDoesNotMoveIsAnErrorNotALoop) {
  ScriptedHttpServer server;
  server.SetHandler([](const RecordedRequest&) -> ScriptedResponse {
    return {200, {}, V1Page({"root/a"}, {}, true)};
  });
  S3Options o = OptionsFor(server);
  o.list_objects_v1 = true;
  S3Storage storage(o);
  Error e = ExpectError([&] { storage.List("", ListOptions{true}, [](const ObjectInfo&) {}); });
  EXPECT_EQ(e.code(), ErrorCode::kProtocol);
  EXPECT_THAT(std::string(e.what()), HasSubstr("ListObjects s3://bucket/root/"));
  EXPECT_THAT(std::string(e.what()), HasSubstr("same marker twice"));
  EXPECT_EQ(server.request_count(), 2u);
}

TEST(S3RequestOptionsTest, V1PagesThatCannotGoOnAreDamagedAnswers) {
  EXPECT_THROW(ParseListObjectsV1(V1Page({}, {}, true)), Error);
  ListPage last = ParseListObjectsV1(V1Page({"a/1", "a/2"}, {"a/3/"}, true));
  EXPECT_EQ(last.next_marker, "a/3/");
  EXPECT_EQ(ParseListObjectsV1(V1Page({"x"}, {}, false)).next_marker, "");
}

}  // namespace
}  // namespace walnut::s3
