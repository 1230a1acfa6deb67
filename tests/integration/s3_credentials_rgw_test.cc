// The credentials chain against a real S3 with a real STS: Ceph RGW, which checks SigV4 and the
// session tokens of the roles it hands out. Skipped when WALNUT_IT_RGW_* are unset (CI sets them).
// The container endpoint is a scripted loopback server (there is none off-cloud) that hands out
// real RGW STS credentials.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/s3/credentials/sts.h"
#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/rgw_bucket.h"
#include "support/scripted_http_server.h"
#include "support/test_util.h"

namespace walnut::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

class RgwCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rgw = RgwFromEnv();
    if (!rgw) GTEST_SKIP() << kRgwSkipMessage;
    rgw_ = *rgw;
    bucket_.emplace(rgw_, "creds");
    // Only the storage and the region: each test picks its credentials source.
    cli_.Set("WALG_S3_PREFIX", fmt::format("s3://{}/p", bucket_->name()));
    cli_.Set("AWS_ENDPOINT", rgw_.endpoint);
    cli_.Set("AWS_REGION", rgw_.region);
    cli_.Set("AWS_S3_FORCE_PATH_STYLE", "true");
    cli_.Set("AWS_ENDPOINT_URL_STS", rgw_.endpoint);
    cli_.Set("AWS_EC2_METADATA_DISABLED", "true");
  }

  // st put then st get of a small file: the bytes come back.
  void ExpectRoundTrip(const std::string& name) {
    fs::path src = cli_.work().path() / (name + ".src");
    WriteFile(src, RandomBytes(300000, 7));
    CommandResult put = cli_.Run("st put " + ShellQuote(src.string()) + " " + name);
    ASSERT_EQ(put.exit_code, 0) << put.err;
    fs::path back = cli_.work().path() / (name + ".back");
    CommandResult get = cli_.Run("st get " + name + ".lz4 " + ShellQuote(back.string()));
    ASSERT_EQ(get.exit_code, 0) << get.err;
    EXPECT_EQ(ReadFile(back), RandomBytes(300000, 7));
  }

  RgwServer rgw_;
  std::optional<RgwBucket> bucket_;
  CliRunner cli_;
};

TEST_F(RgwCredentialsTest, AssumeRoleWithEnvironmentKeys) {
  cli_.Set("AWS_ACCESS_KEY_ID", rgw_.access_key);
  cli_.Set("AWS_SECRET_ACCESS_KEY", rgw_.secret_key.Reveal());
  cli_.Set("AWS_ROLE_ARN", rgw_.role_arn);
  cli_.Set("AWS_ROLE_SESSION_NAME", "walnut-it");
  cli_.Set("WALG_LOG_LEVEL", "DEVEL");
  ExpectRoundTrip("assumed");
  CommandResult ls = cli_.Run("st ls");
  EXPECT_THAT(ls.err, HasSubstr("s3 credentials from STS AssumeRole of " + rgw_.role_arn));
  EXPECT_THAT(ls.err, Not(HasSubstr(rgw_.secret_key.Reveal())));

  // A role that does not exist: STS refuses, in one line naming the role and STS.
  cli_.Set("AWS_ROLE_ARN", "arn:aws:iam:::role/no-such-role");
  cli_.Set("WALG_LOG_LEVEL", "NORMAL");
  CommandResult r = cli_.Run("st ls");
  EXPECT_NE(r.exit_code, 0);
  ExpectOneErrorLine(r, {"STS AssumeRole of arn:aws:iam:::role/no-such-role",
                         "STS at " + rgw_.endpoint + " answered HTTP"});
  EXPECT_THAT(r.err, Not(HasSubstr(rgw_.secret_key.Reveal())));
}

TEST_F(RgwCredentialsTest, SharedFilesProfileWithRoleAndSourceProfile) {
  fs::create_directories(fs::path(cli_.home()) / ".aws");
  WriteFile(fs::path(cli_.home()) / ".aws/credentials",
            fmt::format("[base]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                        rgw_.access_key, rgw_.secret_key.Reveal()));
  WriteFile(fs::path(cli_.home()) / ".aws/config",
            fmt::format("[profile app]\nrole_arn = {}\nsource_profile = base\n", rgw_.role_arn));
  cli_.Set("AWS_PROFILE", "base");
  ExpectRoundTrip("static-profile");
  cli_.Set("AWS_PROFILE", "app");
  ExpectRoundTrip("role-profile");
  cli_.Set("AWS_PROFILE", "missing");
  CommandResult r = cli_.Run("st ls");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  ExpectOneErrorLine(r, {"AWS_PROFILE=missing: no profile missing in"});
}

// A profile's role_arn assumed at RGW's STS with the credentials of its credential_source: the
// container endpoint and the instance metadata (IMDSv1 only: the token request is refused), both
// scripted loopback servers handing out RGW's keys (no real one runs off-cloud).
TEST_F(RgwCredentialsTest, ProfileCredentialSourceAssumesTheRole) {
  const std::string keys = fmt::format(
      "{{\"AccessKeyId\": \"{}\", \"SecretAccessKey\": \"{}\", \"Token\": \"\", "
      "\"Expiration\": \"2099-01-01T00:00:00Z\"}}",
      rgw_.access_key, rgw_.secret_key.Reveal());
  ScriptedHttpServer container, imds;
  container.SetHandler([&](const RecordedRequest&) -> ScriptedResponse { return {200, {}, keys}; });
  imds.SetHandler([&](const RecordedRequest& r) -> ScriptedResponse {
    if (r.method == "PUT") return {403, {}, ""};
    if (r.Path() == "/latest/meta-data/iam/security-credentials/") return {200, {}, "role"};
    if (r.Path() == "/latest/meta-data/iam/security-credentials/role") return {200, {}, keys};
    return {404, {}, ""};
  });
  fs::create_directories(fs::path(cli_.home()) / ".aws");
  WriteFile(fs::path(cli_.home()) / ".aws/config",
            fmt::format("[profile ecs]\nrole_arn = {0}\ncredential_source = EcsContainer\n"
                        "[profile ec2]\nrole_arn = {0}\ncredential_source = Ec2InstanceMetadata\n",
                        rgw_.role_arn));
  cli_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.endpoint() + "/creds");
  cli_.Set("AWS_PROFILE", "ecs");
  cli_.Set("WALG_LOG_LEVEL", "DEVEL");
  ExpectRoundTrip("ecs-source");
  CommandResult ls = cli_.Run("st ls");
  EXPECT_THAT(ls.err, HasSubstr("s3 credentials from STS AssumeRole of " + rgw_.role_arn +
                                " with the credentials from container credentials endpoint"));
  EXPECT_GE(container.request_count(), 1u);

  cli_.Unset("AWS_EC2_METADATA_DISABLED");
  cli_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.endpoint());
  cli_.Set("AWS_PROFILE", "ec2");
  ExpectRoundTrip("ec2-source");
  EXPECT_GE(imds.request_count(), 3u);  // the refused token request, then IMDSv1
  cli_.Set("AWS_EC2_METADATA_V1_DISABLED", "true");
  cli_.Set("WALG_LOG_LEVEL", "NORMAL");
  CommandResult r = cli_.Run("st ls");
  EXPECT_NE(r.exit_code, 0);
  ExpectOneErrorLine(r, {"STS AssumeRole of " + rgw_.role_arn + ": EC2 instance metadata",
                         "answered HTTP 403", "AWS_EC2_METADATA_V1_DISABLED=true forbids IMDSv1"});
  EXPECT_THAT(r.err, Not(HasSubstr(rgw_.secret_key.Reveal())));
}

TEST_F(RgwCredentialsTest, CredentialProcessRunsForReal) {
  fs::path script = cli_.work().path() / "creds.sh";
  WriteFile(script, fmt::format("#!/bin/sh\nprintf '{{\"Version\": 1, \"AccessKeyId\": \"{}\", "
                                "\"SecretAccessKey\": \"{}\"}}'\n",
                                rgw_.access_key, rgw_.secret_key.Reveal()));
  fs::create_directories(fs::path(cli_.home()) / ".aws");
  WriteFile(fs::path(cli_.home()) / ".aws/config",
            "[default]\ncredential_process = sh " + script.string() +
                "\n"
                "[profile broken]\ncredential_process = sh -c 'echo oops; exit 4'\n");
  ExpectRoundTrip("process");
  cli_.Set("AWS_PROFILE", "broken");
  CommandResult r = cli_.Run("st ls");
  EXPECT_NE(r.exit_code, 0);
  ExpectOneErrorLine(r, {"credential_process of profile broken: exited with status 4"});
}

}  // namespace
}  // namespace walnut::testing
