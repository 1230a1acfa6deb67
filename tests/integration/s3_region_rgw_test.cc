// The bucket's region, extra signed headers, "100 Continue" and ListObjects v1 against a real S3:
// Ceph's RADOS Gateway, which checks every signature. Skipped when WALNUT_IT_RGW_* are unset (CI
// sets them). tests/tools/ceph-rgw.sh names the zonegroup eu-west-1 (WALNUT_TEST_RGW_REGION), so
// GetBucketLocation answers a region other than the default. The test makes its own bucket and
// removes it.
// RGW never answers "wrong region" (it does not check the region signed for), so the built binary
// meets a bucket in another region on a scripted server that answers as AWS does.

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/error.h"
#include "storage/s3/bucket_region.h"
#include "storage/s3/s3_client.h"
#include "storage/s3/s3_storage.h"
#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/rgw_bucket.h"
#include "support/scripted_http_server.h"
#include "support/test_util.h"

namespace walnut::s3 {
namespace {

using walnut::testing::CliRunner;
using walnut::testing::ReadAll;
using walnut::testing::RecordedRequest;
using walnut::testing::ScriptedHttpServer;
using walnut::testing::ScriptedResponse;

class S3RegionRgwTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rgw = walnut::testing::RgwFromEnv();
    if (!rgw) GTEST_SKIP() << walnut::testing::kRgwSkipMessage;
    region_ = rgw->region;
    bucket_.emplace(*rgw, "region");
    base_ = bucket_->Options();
  }

  static void PutString(Storage& storage, const std::string& key, const std::string& data) {
    auto writer = storage.Put(key, PutOptions{data.size(), {}});
    writer->Write(AsBytes(data));
    writer->Close();
  }

  std::string region_;
  std::optional<walnut::testing::RgwBucket> bucket_;
  S3Options base_;
};

TEST_F(S3RegionRgwTest, GetBucketLocationAnswersTheZonegroupsRegion) {
  S3Options unset = base_;
  unset.region.clear();
  S3Client client(unset);
  EXPECT_EQ(DiscoverBucketRegion(client), region_);
  // And a storage without a region asks, then signs with the answer: RGW checks the signatures.
  S3Storage storage(unset);
  PutString(storage, "found/k", "region");
  EXPECT_EQ(ReadAll(*storage.Get("found/k")), "region");
}

TEST_F(S3RegionRgwTest, AClientStartedWithAWrongRegionStillWorks) {
  // RGW does not check the region a request is signed for (AWS does, and answers with the right
  // one: the scripted tests cover that correction).
  S3Options wrong = base_;
  wrong.region = region_ == "ap-southeast-2" ? "sa-east-1" : "ap-southeast-2";
  S3Storage storage(wrong);
  PutString(storage, "wrong/k", "still here");
  EXPECT_EQ(ReadAll(*storage.Get("wrong/k")), "still here");
  ASSERT_TRUE(storage.Stat("wrong/k").has_value());
}

TEST_F(S3RegionRgwTest, AdditionalHeadersAreSignedAndAccepted) {
  S3Options o = base_;
  o.additional_headers = {{"X-Walnut-Tenant", "team-a"}, {"Cache-Control", "no-cache"}};
  S3Storage storage(o);
  PutString(storage, "headers/k", "signed");
  EXPECT_EQ(ReadAll(*storage.Get("headers/k")), "signed");
}

TEST_F(S3RegionRgwTest, ExpectContinueUploadsWhole) {
  for (bool expect : {true, false}) {
    S3Options o = base_;
    o.expect_continue = expect;
    o.max_part_size = 5u << 20;
    S3Storage storage(o);
    std::string data = walnut::testing::RandomBytes((11u << 20) + 7, expect ? 1 : 2);
    std::string key = fmt::format("expect/{}", expect);
    PutString(storage, key, data);
    EXPECT_EQ(ReadAll(*storage.Get(key)), data) << key;
  }
}

TEST_F(S3RegionRgwTest, ListObjectsV1ListsWhatV2Lists) {
  S3Storage writer(base_);
  for (const char* key : {"list/a", "list/b", "list/c/1", "list/c/2", "list/d", "list/e/f/g"}) {
    PutString(writer, key, key);
  }
  auto list = [&](bool v1, bool recursive) {
    S3Options o = base_;
    o.list_objects_v1 = v1;
    o.list_max_keys = 2;  // several pages, markers from <NextMarker> and from the last key
    S3Storage storage(o);
    std::vector<std::string> seen;
    storage.List("list/", ListOptions{recursive}, [&](const ObjectInfo& info) {
      seen.push_back(info.key + (info.is_prefix ? "/" : ""));
    });
    return seen;
  };
  EXPECT_EQ(list(true, true), (std::vector<std::string>{"list/a", "list/b", "list/c/1", "list/c/2",
                                                        "list/d", "list/e/f/g"}));
  EXPECT_EQ(list(true, true), list(false, true));
  EXPECT_EQ(list(true, false), list(false, false));
  EXPECT_EQ(list(true, false).size(), 5u);  // a, b, c/, d, e/
}

// The region a request was signed for.
std::string SignedRegion(const RecordedRequest& r) {
  std::string auth = r.Header("authorization").value_or("");
  size_t start = auth.find("Credential=");
  if (start == std::string::npos) return "";
  // Credential=KEY/DATE/REGION/s3/aws4_request
  size_t region = auth.find('/', auth.find('/', start) + 1) + 1;
  return auth.substr(region, auth.find('/', region) - region);
}

void UseScriptedS3(CliRunner& cli, const ScriptedHttpServer& server, const std::string& region) {
  cli.Set("WALG_S3_PREFIX", "s3://far-bucket/root");
  cli.Set("AWS_ENDPOINT", server.endpoint());
  cli.Set("AWS_REGION", region);
  cli.Set("AWS_S3_FORCE_PATH_STYLE", "true");
  cli.Set("AWS_ACCESS_KEY_ID", "AKIDTEST");
  cli.Set("AWS_SECRET_ACCESS_KEY", "secret-for-tests");
  cli.Set("WALNUT_STORAGE_RETRY_TIMEOUT", "5s");
}

TEST(S3RegionCliTest, ABucketInAnotherRegionIsFoundOnceWithAWarning) {
  ScriptedHttpServer server;
  server.SetHandler([](const RecordedRequest& r) -> ScriptedResponse {
    if (SignedRegion(r) != "eu-west-1") {
      return {301, {{"x-amz-bucket-region", "eu-west-1"}}, ""};
    }
    return {200,
            {},
            "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>root/x</Key>"
            "<Size>3</Size><LastModified>2020-01-01T00:00:00.000Z</LastModified></Contents>"
            "</ListBucketResult>"};
  });
  CliRunner cli;
  UseScriptedS3(cli, server, "us-east-1");
  auto result = cli.Run("st ls");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("x"), std::string::npos) << result.out;
  EXPECT_NE(result.err.find("set AWS_REGION=eu-west-1"), std::string::npos) << result.err;
  EXPECT_EQ(server.request_count(), 2u);
}

TEST(S3RegionCliTest, ABucketThatKeepsMovingIsOneErrorLineInBoundedTime) {
  ScriptedHttpServer server;
  server.SetHandler([](const RecordedRequest& r) -> ScriptedResponse {
    return {301,
            {{"x-amz-bucket-region", SignedRegion(r) == "eu-west-1" ? "ap-south-1" : "eu-west-1"}},
            ""};
  });
  auto start = std::chrono::steady_clock::now();
  CliRunner cli;
  UseScriptedS3(cli, server, "us-east-1");
  auto result = cli.Run("st ls");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(result.exit_code, 1) << result.err;
  walnut::testing::ExpectOneErrorLine(
      result, {"s3://far-bucket", "'eu-west-1'", "'ap-south-1'", "AWS_REGION"});
  EXPECT_EQ(server.request_count(), 2u);  // never looped
}

}  // namespace
}  // namespace walnut::s3
