// Temporary credentials are renewed before they expire (with an injected clock), by one thread
// at a time, and S3Client renews them once when S3 refuses them as expired.

#include <atomic>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "storage/s3/credentials/credentials_provider.h"
#include "storage/s3/s3_client.h"
#include "support/log_capture.h"
#include "support/scripted_http_server.h"
#include "support/test_util.h"
#include "unit/s3/scripted_s3.h"

namespace walnut::s3 {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using testing::ExpectError;
using ::testing::HasSubstr;

// A fake clock the test moves.
struct TestClock {
  std::atomic<int64_t> seconds_since_start{0};
  SystemTime start = SystemTime(std::chrono::hours(24 * 365 * 50));
  SystemTime Now() const { return start + seconds(seconds_since_start.load()); }
  WallClock Fn() {
    return [this] { return Now(); };
  }
};

// Hands out key "K<n>" valid for `lifetime` from the clock's now; can be told to fail or block.
class CountingFetcher : public CredentialsFetcher {
 public:
  CountingFetcher(TestClock& clock, seconds lifetime, std::atomic<int>& calls)
      : clock_(clock), lifetime_(lifetime), calls_(calls) {}
  TimedCredentials Fetch() override {
    int n = ++calls_;
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    if (fail) throw Error(ErrorCode::kNetwork, "test source: down");
    TimedCredentials t;
    t.credentials.access_key_id = fmt::format("K{}", n);
    t.credentials.secret_access_key = SecretString("s");
    t.credentials.session_token = SecretString(fmt::format("T{}", n));
    t.expiry = clock_.Now() + lifetime_;
    return t;
  }
  std::string Describe() const override { return "test source"; }

  std::atomic<bool> fail{false};
  std::chrono::milliseconds delay{0};

 private:
  TestClock& clock_;
  seconds lifetime_;
  std::atomic<int>& calls_;
};

S3Call GetCall() {
  S3Call call;
  call.op = "GetObject";
  call.method = "GET";
  call.key = "root/x";
  return call;
}

TEST(RenewalTimeTest, FiveMinutesBeforeOrAtHalfLifeForShortLifetimes) {
  SystemTime t0;
  EXPECT_EQ(RenewalTime(t0, t0 + minutes(60)), t0 + minutes(55));
  EXPECT_EQ(RenewalTime(t0, t0 + minutes(15)), t0 + minutes(10));
  EXPECT_EQ(RenewalTime(t0, t0 + seconds(60)), t0 + seconds(30));
  EXPECT_EQ(RenewalTime(t0, t0 + minutes(6)), t0 + minutes(3));
}

TEST(RefreshingCredentialsProviderTest, RenewsSixtySecondCredentialsAtHalfLife) {
  TestClock clock;
  std::atomic<int> calls{0};
  auto fetcher = std::make_unique<CountingFetcher>(clock, seconds(60), calls);
  RefreshingCredentialsProvider provider(std::move(fetcher), clock.Fn());
  EXPECT_EQ(provider.Current().access_key_id, "K1");
  clock.seconds_since_start = 29;
  EXPECT_EQ(provider.Current().access_key_id, "K1");
  clock.seconds_since_start = 30;
  EXPECT_EQ(provider.Current().access_key_id, "K2");
  clock.seconds_since_start = 59;
  EXPECT_EQ(provider.Current().access_key_id, "K2");
  clock.seconds_since_start = 61;
  EXPECT_EQ(provider.Current().access_key_id, "K3");
  EXPECT_EQ(calls, 3);
}

TEST(RefreshingCredentialsProviderTest, VeryShortLifetimesAreNeverUsedWithinTheMargin) {
  TestClock clock;
  std::atomic<int> calls{0};
  RefreshingCredentialsProvider provider(
      std::make_unique<CountingFetcher>(clock, seconds(16), calls), clock.Fn());
  EXPECT_EQ(provider.Current().access_key_id, "K1");
  clock.seconds_since_start = 6;  // half-life is 8 s, but 10 s before the expiry is 6 s
  EXPECT_EQ(provider.Current().access_key_id, "K2");
}

TEST(RefreshingCredentialsProviderTest, AFailedRenewalKeepsValidCredentialsThenFails) {
  TestClock clock;
  std::atomic<int> calls{0};
  auto owned = std::make_unique<CountingFetcher>(clock, seconds(60), calls);
  CountingFetcher* fetcher = owned.get();
  RefreshingCredentialsProvider provider(std::move(owned), clock.Fn());
  EXPECT_EQ(provider.Current().access_key_id, "K1");
  fetcher->fail = true;
  clock.seconds_since_start = 31;
  testing::LogCapture log;
  EXPECT_EQ(provider.Current().access_key_id, "K1");  // still valid for 29 s
  EXPECT_THAT(log.str(), HasSubstr("cannot renew the credentials yet"));
  EXPECT_THAT(log.str(), HasSubstr("test source: down"));
  EXPECT_EQ(provider.Current().access_key_id, "K1");  // no new attempt within 10 s
  EXPECT_EQ(calls, 2);
  clock.seconds_since_start = 55;  // within 10 s of the expiry: no longer usable
  Error e = ExpectError([&] { provider.Current(); });
  EXPECT_THAT(e.what(), HasSubstr("test source: down"));
  fetcher->fail = false;
  EXPECT_EQ(provider.Current().access_key_id, "K4");
}

TEST(RefreshingCredentialsProviderTest, ConcurrentCallersDoNotAllRenewAtOnce) {
  TestClock clock;
  std::atomic<int> calls{0};
  auto owned = std::make_unique<CountingFetcher>(clock, seconds(60), calls);
  CountingFetcher* fetcher = owned.get();
  RefreshingCredentialsProvider provider(std::move(owned), clock.Fn());
  provider.Current();
  fetcher->delay = std::chrono::milliseconds(300);
  clock.seconds_since_start = 40;  // due for renewal, still valid
  std::vector<std::thread> threads;
  std::atomic<int> old_keys{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      if (provider.Current().access_key_id == "K1") ++old_keys;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls, 2);  // one renewal for sixteen callers
  EXPECT_GE(old_keys, 1);
  EXPECT_EQ(provider.Current().access_key_id, "K2");
  // Expired: every caller waits for the one renewal.
  clock.seconds_since_start = 200;
  threads.clear();
  std::atomic<int> new_keys{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      if (provider.Current().access_key_id == "K3") ++new_keys;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(new_keys, 16);
}

TEST(RefreshingCredentialsProviderTest, RenewsOnceAfterARejection) {
  TestClock clock;
  std::atomic<int> calls{0};
  RefreshingCredentialsProvider provider(
      std::make_unique<CountingFetcher>(clock, seconds(3600), calls), clock.Fn());
  Credentials first = provider.Current();
  EXPECT_TRUE(provider.RenewAfterRejection(first));
  EXPECT_EQ(provider.Current().access_key_id, "K2");
  // A second thread that saw the same rejection finds them renewed already.
  EXPECT_TRUE(provider.RenewAfterRejection(first));
  EXPECT_EQ(calls, 2);
}

// S3 answers ExpiredToken to key K1; the client renews and sends again, once.
TEST(S3ClientCredentialsTest, AnExpiredTokenAnswerRenewsAndRetriesOnce) {
  TestClock clock;
  std::atomic<int> calls{0};
  auto provider = std::make_shared<RefreshingCredentialsProvider>(
      std::make_unique<CountingFetcher>(clock, seconds(3600), calls), clock.Fn());
  testing::ScriptedHttpServer server;
  server.SetHandler([](const testing::RecordedRequest& r) -> testing::ScriptedResponse {
    std::string auth = r.Header("authorization").value_or("");
    if (auth.find("Credential=K1/") != std::string::npos) {
      return {400, {}, testing::S3ErrorXml("ExpiredToken", "The provided token has expired.")};
    }
    return {200, {}, ""};
  });
  S3Options options = OptionsFor(server);
  options.credentials = provider;
  S3Client client(options);
  testing::LogCapture log;
  client.Send(GetCall());
  ASSERT_EQ(server.request_count(), 2u);
  EXPECT_THAT(server.requests()[1].Header("authorization").value_or(""),
              HasSubstr("Credential=K2/"));
  EXPECT_EQ(server.requests()[1].Header("x-amz-security-token").value_or(""), "T2");
  EXPECT_THAT(log.str(), HasSubstr("refused as expired; renewed them"));
  EXPECT_THAT(log.str(), ::testing::Not(HasSubstr("T2")));

  // A source that keeps handing out refused credentials: one retry, then the error, naming it.
  server.SetHandler([](const testing::RecordedRequest&) -> testing::ScriptedResponse {
    return {400, {}, testing::S3ErrorXml("ExpiredToken", "The provided token has expired.")};
  });
  size_t before = server.request_count();
  Error e = ExpectError([&] { client.Send(GetCall()); });
  EXPECT_EQ(server.request_count() - before, 2u);
  EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied);
  EXPECT_THAT(e.what(), HasSubstr("ExpiredToken"));
  EXPECT_THAT(e.what(), HasSubstr("(credentials from test source)"));
}

// Requests signed across a renewal: those after it carry the new key.
TEST(S3ClientCredentialsTest, SignsWithRenewedCredentialsInsideALongCommand) {
  TestClock clock;
  std::atomic<int> calls{0};
  auto provider = std::make_shared<RefreshingCredentialsProvider>(
      std::make_unique<CountingFetcher>(clock, seconds(60), calls), clock.Fn());
  testing::ScriptedHttpServer server;
  server.SetHandler([](const testing::RecordedRequest&) -> testing::ScriptedResponse {
    return {200, {}, ""};
  });
  S3Options options = OptionsFor(server);
  options.credentials = provider;
  S3Client client(options);
  std::vector<std::string> keys;
  for (int t = 0; t <= 120; t += 10) {
    clock.seconds_since_start = t;
    client.Send(HeadObjectCall("root/x"));
  }
  for (const auto& r : server.requests()) {
    std::string auth = r.Header("authorization").value_or("");
    size_t start = auth.find("Credential=") + 11;
    keys.push_back(auth.substr(start, auth.find('/', start) - start));
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"K1", "K1", "K1", "K2", "K2", "K2", "K3", "K3", "K3",
                                            "K4", "K4", "K4", "K5"}));
}

}  // namespace
}  // namespace walnut::s3
