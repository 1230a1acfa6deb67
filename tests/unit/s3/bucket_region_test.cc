// The bucket's region against a scripted server: asked before the first request when AWS_REGION is
// unset, corrected once after a wrong-region answer, never twice.

#include "storage/s3/bucket_region.h"

#include <atomic>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "storage/s3/s3_client.h"
#include "storage/s3/s3_storage.h"
#include "storage/s3/s3_xml.h"
#include "support/scripted_http_server.h"
#include "support/test_util.h"
#include "unit/s3/scripted_s3.h"

namespace walnut::s3 {
namespace {

using walnut::testing::ExpectError;

const std::string kLocationPath = "/bucket";

// The region a request was signed for, from its Authorization header ("" when unsigned).
std::string SignedRegion(const RecordedRequest& r) {
  std::smatch m;
  std::string auth = r.Header("authorization").value_or("");
  if (!std::regex_search(auth, m, std::regex("Credential=[^/]+/\\d{8}/([^/]+)/s3/"))) return "";
  return m[1];
}

bool IsGetBucketLocation(const RecordedRequest& r) {
  return r.method == "GET" && r.Path() == kLocationPath && r.Query() == "location=";
}

std::string Location(std::string_view region) {
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{}"
      "</LocationConstraint>",
      region);
}

// An object HEAD answer for requests signed for `region`; anything else gets what AWS answers a
// request signed for the wrong region: 301 with x-amz-bucket-region (a HEAD has no body).
ScriptedResponse BucketIn(const RecordedRequest& r, const std::string& region) {
  if (SignedRegion(r) == region) return {200, {{"Content-Length", "0"}}, ""};
  return {301, {{"x-amz-bucket-region", region}}, ""};
}

S3Options Unset(const ScriptedHttpServer& server) {
  S3Options o = OptionsFor(server);
  o.region.clear();  // AWS_REGION unset, as on AWS
  return o;
}

TEST(BucketRegionTest, LocationConstraintNamesTheRegion) {
  EXPECT_EQ(ParseBucketLocation(Location("eu-central-1")), "eu-central-1");
  EXPECT_EQ(ParseBucketLocation(Location("")), "us-east-1");  // us-east-1 answers nothing
  EXPECT_EQ(ParseBucketLocation("<LocationConstraint/>"), "us-east-1");
  EXPECT_EQ(ParseBucketLocation(Location("EU")), "eu-west-1");  // the old name
  // A region goes into a host name: anything else is a damaged answer.
  Error e = ExpectError([] { ParseBucketLocation(Location("evil.com/x")); });
  EXPECT_EQ(e.code(), ErrorCode::kProtocol);
  EXPECT_TRUE(e.retryable());
  EXPECT_THROW(ParseBucketLocation("<Other>x</Other>"), Error);
}

TEST(BucketRegionTest, WrongRegionAnswersNameTheRegion) {
  net::HttpResponse moved{301, {{"x-amz-bucket-region", "eu-west-1"}}, ""};
  EXPECT_EQ(RegionAsked(moved, "us-east-1"), "eu-west-1");
  EXPECT_EQ(RegionAsked(moved, "eu-west-1"), std::nullopt);  // about something else
  net::HttpResponse malformed{400, {}, ""};
  malformed.body =
      "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is "
      "wrong; expecting 'ap-south-1'</Message><Region>ap-south-1</Region></Error>";
  EXPECT_EQ(RegionAsked(malformed, "us-east-1"), "ap-south-1");
  net::HttpResponse other{400, {}, S3ErrorXml("InvalidArgument", "x")};
  EXPECT_EQ(RegionAsked(other, "us-east-1"), std::nullopt);
  net::HttpResponse denied{403, {{"x-amz-bucket-region", "eu-west-1"}}, ""};
  EXPECT_EQ(RegionAsked(denied, "us-east-1"), std::nullopt);
  net::HttpResponse bad{301, {{"x-amz-bucket-region", "Evil.com"}}, ""};
  EXPECT_EQ(RegionAsked(bad, "us-east-1"), std::nullopt);
}

TEST(BucketRegionTest, AwsEndpointsAreTheOnesAskedAsInWalG) {
  EXPECT_TRUE(IsAwsEndpoint(""));
  EXPECT_TRUE(IsAwsEndpoint("https://s3.eu-west-1.amazonaws.com"));
  EXPECT_TRUE(IsAwsEndpoint("https://S3.EU-WEST-1.AMAZONAWS.COM:443"));
  EXPECT_FALSE(IsAwsEndpoint("http://127.0.0.1:9000"));
  EXPECT_FALSE(IsAwsEndpoint("https://amazonaws.com.example.org"));
}

TEST(BucketRegionTest, WithoutARegionTheBucketIsAskedOnceAndItsRegionSigns) {
  ScriptedHttpServer server;
  std::atomic<int> asked{0};
  server.SetHandler([&](const RecordedRequest& r) -> ScriptedResponse {
    if (IsGetBucketLocation(r)) {
      ++asked;
      return {200, {}, Location("eu-west-1")};
    }
    return BucketIn(r, "eu-west-1");
  });
  S3Storage storage(Unset(server));
  // Requests in parallel: one of them asks, the others wait for its answer.
  std::vector<std::thread> threads;
  std::atomic<int> found{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      if (storage.Stat("k")) ++found;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(found.load(), 6);
  EXPECT_EQ(asked.load(), 1);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 7u);
  EXPECT_TRUE(IsGetBucketLocation(requests[0]));
  ExpectValidSignature(requests[0], "us-east-1");  // as WAL-G asks: signed for us-east-1
  for (size_t i = 1; i < requests.size(); ++i) ExpectValidSignature(requests[i], "eu-west-1");
}

TEST(BucketRegionTest, AFailedQuestionIsAskedAgainByTheRetry) {
  ScriptedHttpServer server;
  server.Enqueue({503, {}, S3ErrorXml("SlowDown", "busy")});
  server.Enqueue({200, {}, Location("")});
  server.SetHandler([](const RecordedRequest& r) { return BucketIn(r, "us-east-1"); });
  S3Storage storage(Unset(server));
  EXPECT_TRUE(storage.Stat("k").has_value());
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_TRUE(IsGetBucketLocation(requests[0]));
  EXPECT_TRUE(IsGetBucketLocation(requests[1]));
  ExpectValidSignature(requests[2], "us-east-1");
}

TEST(BucketRegionTest, WithoutGetBucketLocationPermissionAHeadOfTheBucketTells) {
  ScriptedHttpServer server;
  server.Enqueue({403, {}, S3ErrorXml("AccessDenied", "Access Denied")});
  server.Enqueue({403, {{"x-amz-bucket-region", "ap-south-1"}}, ""});  // HEAD bucket
  server.SetHandler([](const RecordedRequest& r) { return BucketIn(r, "ap-south-1"); });
  S3Storage storage(Unset(server));
  EXPECT_TRUE(storage.Stat("k").has_value());
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].method, "HEAD");
  EXPECT_EQ(requests[1].target, "/bucket");
  ExpectValidSignature(requests[2], "ap-south-1");
}

TEST(BucketRegionTest, ABucketThatDoesNotExistIsOneLineNamingItAndAwsRegion) {
  ScriptedHttpServer server;
  server.Enqueue({404, {}, S3ErrorXml("NoSuchBucket", "The specified bucket does not exist")});
  S3Storage storage(Unset(server));
  Error e = ExpectError([&] { storage.Stat("k"); });
  // Not kNotFound, which callers take for a missing object.
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  std::string what = e.what();
  EXPECT_NE(what.find("s3://bucket"), std::string::npos) << what;
  EXPECT_NE(what.find("NoSuchBucket"), std::string::npos) << what;
  EXPECT_NE(what.find("AWS_REGION"), std::string::npos) << what;
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  EXPECT_EQ(server.request_count(), 1u);
}

TEST(BucketRegionTest, AWrongRegionAnswerIsCorrectedOnceAndTheRequestSentAgain) {
  ScriptedHttpServer server;
  server.SetHandler([](const RecordedRequest& r) { return BucketIn(r, "eu-west-1"); });
  S3Options o = OptionsFor(server);  // AWS_REGION=us-east-1, wrong
  S3Storage storage(o);
  EXPECT_TRUE(storage.Stat("a").has_value());
  EXPECT_TRUE(storage.Stat("b").has_value());
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  ExpectValidSignature(requests[0], "us-east-1");
  ExpectValidSignature(requests[1], "eu-west-1");
  ExpectValidSignature(requests[2], "eu-west-1");  // the next request knows already
}

TEST(BucketRegionTest, AuthorizationHeaderMalformedOnAGetIsCorrectedToo) {
  ScriptedHttpServer server;
  const std::string object = "0123456789";
  server.SetHandler([&](const RecordedRequest& r) -> ScriptedResponse {
    if (SignedRegion(r) != "ca-central-1") {
      return {400,
              {},
              "<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header "
              "is malformed; the region 'us-east-1' is wrong; expecting 'ca-central-1'</Message>"
              "<Region>ca-central-1</Region></Error>"};
    }
    return ServeRange(r, object);
  });
  S3Storage storage(OptionsFor(server));
  EXPECT_EQ(walnut::testing::ReadAll(*storage.Get("k")), object);
  auto requests = server.requests();
  ASSERT_GE(requests.size(), 2u);
  ExpectValidSignature(requests[1], "ca-central-1");
}

TEST(BucketRegionTest, ASecondWrongRegionIsOneErrorNotALoop) {
  ScriptedHttpServer server;
  // A server that sends every request elsewhere, wherever it went.
  server.SetHandler([](const RecordedRequest& r) -> ScriptedResponse {
    return {301,
            {{"x-amz-bucket-region", SignedRegion(r) == "eu-west-1" ? "us-west-2" : "eu-west-1"}},
            ""};
  });
  S3Storage storage(OptionsFor(server));
  Error e = ExpectError([&] { storage.Stat("k"); });
  EXPECT_FALSE(e.retryable());
  std::string what = e.what();
  for (const char* part : {"s3://bucket/root/k", "'us-west-2'", "'eu-west-1'", "AWS_REGION"}) {
    EXPECT_NE(what.find(part), std::string::npos) << part << " not in: " << what;
  }
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  EXPECT_EQ(server.request_count(), 2u);  // the request and its one re-send
  // The client corrected once; a later request told to move again fails at once.
  EXPECT_THROW(storage.Stat("k2"), Error);
  EXPECT_EQ(server.request_count(), 3u);
}

TEST(BucketRegionTest, ParallelWrongRegionAnswersMakeOneCorrection) {
  ScriptedHttpServer server;
  server.SetHandler([](const RecordedRequest& r) { return BucketIn(r, "sa-east-1"); });
  S3Client client(OptionsFor(server));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      try {
        client.Send(HeadObjectCall("k" + std::to_string(i)));
        ++ok;
      } catch (const Error& e) {
        ADD_FAILURE() << e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(client.region(), "sa-east-1");
  EXPECT_LE(server.request_count(), 16u);  // each request sent at most twice
}

TEST(BucketRegionTest, TheEndpointFollowsTheRegionWithoutAwsEndpoint) {
  S3Options o;
  o.bucket = "b";
  o.region = "eu-central-1";
  EXPECT_EQ(AddressingFor(o, "eu-central-1").endpoint.host, "s3.eu-central-1.amazonaws.com");
  o.dual_stack = true;
  EXPECT_EQ(AddressingFor(o, "ap-south-1").endpoint.host, "s3.dualstack.ap-south-1.amazonaws.com");
  EXPECT_EQ(S3Client(o).TargetFor("k", {}).url,
            "https://b.s3.dualstack.eu-central-1.amazonaws.com/k");
  o.endpoint = "http://127.0.0.1:9000";
  EXPECT_EQ(AddressingFor(o, "ap-south-1").endpoint.host, "127.0.0.1");
  // Unknown region: the question goes to AWS's global endpoint.
  S3Options unset;
  unset.bucket = "b";
  EXPECT_EQ(S3Client(unset).TargetFor("", {{"location", ""}}).url,
            "https://b.s3.amazonaws.com/?location=");
}

}  // namespace
}  // namespace walnut::s3
