// Temporary credentials that expire inside a long command, for real: a container endpoint hands
// out Ceph RGW STS credentials saying they live 60 s, and a proxy in front of RGW answers
// ExpiredToken (as S3 does) to any request signed with credentials past their enforced expiry;
// RGW checks every signature behind it. Skipped when WALNUT_IT_RGW_* are unset.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/mutex.h"
#include "net/http_client.h"
#include "storage/s3/credentials/sts.h"
#include "support/cli_runner.h"
#include "support/rgw_bucket.h"
#include "support/scripted_http_server.h"
#include "support/test_util.h"

namespace walnut::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::system_clock;
namespace fs = std::filesystem;

// The container endpoint and the expiry-enforcing proxy to RGW.
class ExpiringCredentials {
 public:
  // Credentials say they live `claimed`; the proxy refuses them `enforced` after hand-out.
  ExpiringCredentials(const RgwServer& rgw, std::chrono::seconds claimed,
                      std::chrono::seconds enforced)
      : rgw_(rgw), claimed_(claimed), enforced_(enforced) {
    s3::StsOptions sts;
    sts.endpoint = rgw.endpoint;
    sts.region = rgw.region;
    sts.duration_seconds = 900;  // RGW's minimum: the expiry is enforced by the proxy
    auto user = std::make_shared<s3::StaticCredentialsProvider>(
        s3::Credentials{rgw.access_key, rgw.secret_key, SecretString()}, "user");
    assume_ = std::make_unique<s3::AssumeRoleFetcher>(sts, rgw.role_arn, "walnut-expiry", user);
    container_.SetHandler([this](const RecordedRequest& r) { return HandOut(r); });
    proxy_.SetHandler([this](const RecordedRequest& r) { return Forward(r); });
  }

  std::string container_url() const { return container_.endpoint() + "/creds"; }
  std::string s3_endpoint() const { return proxy_.endpoint(); }
  int handed_out() const { return handed_out_.load(); }
  int refused_expired() const { return refused_expired_.load(); }
  size_t tokens_used() const {
    MutexLock lock(mu_);
    return used_.size();
  }

 private:
  ScriptedResponse HandOut(const RecordedRequest& r) {
    if (r.Header("authorization").value_or("") != "container-auth") return {401, {}, ""};
    s3::TimedCredentials c = assume_->Fetch();
    auto now = Clock::now();
    {
      MutexLock lock(mu_);
      expiry_[c.credentials.session_token.Reveal()] = now + enforced_;
    }
    ++handed_out_;
    return {200,
            {},
            fmt::format("{{\"AccessKeyId\": \"{}\", \"SecretAccessKey\": \"{}\", \"Token\": "
                        "\"{}\", \"Expiration\": \"{:%Y-%m-%dT%H:%M:%SZ}\"}}",
                        c.credentials.access_key_id, c.credentials.secret_access_key.Reveal(),
                        c.credentials.session_token.Reveal(),
                        std::chrono::floor<std::chrono::seconds>(now + claimed_))};
  }

  ScriptedResponse Forward(const RecordedRequest& r) {
    std::string token = r.Header("x-amz-security-token").value_or("");
    {
      MutexLock lock(mu_);
      auto it = expiry_.find(token);
      if (it == expiry_.end() || Clock::now() >= it->second) {
        ++refused_expired_;
        return {400, {}, S3ErrorXml("ExpiredToken", "The provided token has expired.")};
      }
      used_.insert(token);
    }
    net::HttpRequest forward;
    forward.method = r.method;
    forward.url = rgw_.endpoint + r.target;
    forward.body = AsBytes(r.body);
    for (const auto& [name, value] : r.headers) {
      // Host stays as signed; the transport headers are the client's own.
      if (name != "content-length" && name != "connection" && name != "expect") {
        forward.headers.emplace_back(name, value);
      }
    }
    net::HttpResponse answer = http_.Perform(forward);
    ScriptedResponse out{static_cast<int>(answer.status), {}, answer.body};
    for (const auto& [name, value] : answer.headers) {
      if (name != "content-length" && name != "connection" && name != "transfer-encoding") {
        out.headers.emplace_back(name, value);
      }
    }
    return out;
  }

  const RgwServer rgw_;
  const std::chrono::seconds claimed_, enforced_;
  std::unique_ptr<s3::AssumeRoleFetcher> assume_;
  net::HttpClient http_{net::HttpClientOptions{}};
  mutable Mutex mu_;
  std::map<std::string, Clock::time_point> expiry_ GUARDED_BY(mu_);
  std::set<std::string> used_ GUARDED_BY(mu_);
  std::atomic<int> handed_out_{0}, refused_expired_{0};
  ScriptedHttpServer container_, proxy_;
};

class RgwExpiryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rgw = RgwFromEnv();
    if (!rgw) GTEST_SKIP() << kRgwSkipMessage;
    rgw_ = *rgw;
    bucket_.emplace(rgw_, "expiry");
    cli_.Set("WALG_S3_PREFIX", fmt::format("s3://{}/p", bucket_->name()));
    cli_.Set("AWS_REGION", rgw_.region);
    cli_.Set("AWS_S3_FORCE_PATH_STYLE", "true");
    cli_.Set("AWS_EC2_METADATA_DISABLED", "true");
    cli_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth");
    cli_.Set("WALG_S3_MAX_PART_SIZE", "5MiB");
  }

  // `seconds` s of 400 kB/s piped into st put through the proxy: a multipart upload whose parts
  // go out every ~13 s. Then the object is read back from RGW directly.
  void SlowPutAndGetBack(const ExpiringCredentials& creds, int seconds) {
    cli_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", creds.container_url());
    cli_.Set("AWS_ENDPOINT", creds.s3_endpoint());
    auto start = std::chrono::steady_clock::now();
    CommandResult put = RunCommand(
        fmt::format("(for i in $(seq {}); do head -c 400000 /dev/urandom; sleep 1; done) | {}",
                    seconds, cli_.CommandLine("st put --read-stdin slow.bin")));
    ASSERT_EQ(put.exit_code, 0) << put.err;
    EXPECT_GT(std::chrono::steady_clock::now() - start, std::chrono::seconds(seconds - 3));
    EXPECT_THAT(put.err, Not(HasSubstr("container-auth")));
    cli_.Set("AWS_ACCESS_KEY_ID", rgw_.access_key);
    cli_.Set("AWS_SECRET_ACCESS_KEY", rgw_.secret_key.Reveal());
    cli_.Set("AWS_ENDPOINT", rgw_.endpoint);
    fs::path back = cli_.work().path() / "slow.back";
    CommandResult get = cli_.Run("st get slow.bin.lz4 " + ShellQuote(back.string()));
    ASSERT_EQ(get.exit_code, 0) << get.err;
    EXPECT_EQ(fs::file_size(back), static_cast<uintmax_t>(seconds) * 400000u);
    cli_.Unset("AWS_ACCESS_KEY_ID");
    cli_.Unset("AWS_SECRET_ACCESS_KEY");
  }

  RgwServer rgw_;
  std::optional<RgwBucket> bucket_;
  CliRunner cli_;
};

// 60-second credentials and a 75 s upload: renewed at half-life, never used past their expiry.
TEST_F(RgwExpiryTest, ALongUploadRenewsSixtySecondCredentialsBeforeTheyExpire) {
  ExpiringCredentials creds(rgw_, std::chrono::seconds(60), std::chrono::seconds(60));
  SlowPutAndGetBack(creds, 75);
  EXPECT_GE(creds.handed_out(), 3);
  EXPECT_GE(creds.tokens_used(), 2u);
  EXPECT_EQ(creds.refused_expired(), 0);
}

// Credentials revoked before the expiry they announced (20 s instead of 60 s): S3's ExpiredToken
// answer makes walnut renew them and send the request again, and the upload completes.
TEST_F(RgwExpiryTest, CredentialsRevokedEarlyAreRenewedOnExpiredToken) {
  ExpiringCredentials creds(rgw_, std::chrono::seconds(60), std::chrono::seconds(20));
  SlowPutAndGetBack(creds, 45);
  EXPECT_GE(creds.refused_expired(), 1);
  EXPECT_GE(creds.tokens_used(), 2u);
}

}  // namespace
}  // namespace walnut::testing
