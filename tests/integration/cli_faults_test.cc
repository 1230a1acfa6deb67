// Commands against an S3 server reached through a network that breaks connections: they either
// get through by retrying or fail with one clear line, and never leave a half-written object.
// Against a dead endpoint (refused, unresolvable, silent) they fail within the retry budget.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "postgres/wal_file_name.h"
#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/fault_proxy.h"
#include "support/scripted_http_server.h"
#include "support/test_util.h"
#include "support/wal_segments.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::duration;
using std::chrono::steady_clock;

// Points `cli` at a fresh archive on `server`; returns the server's port.
int UseServer(CliRunner& cli, TestStorage server, const std::string& what) {
  cli.UseStorage(server, what);
  return EndpointPort(cli.variables().at("AWS_ENDPOINT"));
}

struct FlakyS3 {
  template <class Policy>
  FlakyS3(TestStorage server, const std::string& what, Policy policy)
      : proxy("127.0.0.1", UseServer(cli, server, what), std::move(policy)) {
    cli.Set("WALG_LIBSODIUM_KEY",
            "4f8a2c11d0e97b35a6c8e1f20b3d4c5e6f708192a3b4c5d6e7f8091a2b3c4d5e");
    cli.Set("WALG_LIBSODIUM_KEY_TRANSFORM", "hex");
    direct.CopySettingsFrom(cli);  // the same storage without the proxy: what really got stored
    cli.Set("AWS_ENDPOINT", proxy.endpoint());
    cli.Set("WALG_S3_MAX_PART_SIZE", "5MiB");
  }
  CliRunner cli;  // before the proxy, which needs its server
  CliRunner direct;
  FaultProxy proxy;
};

// On each S3 server (s3rver; Ceph RGW, which checks every signature and part as AWS does).
class FlakyNetworkTest : public ::testing::TestWithParam<TestStorage> {
 protected:
  void SetUp() override { WALNUT_SKIP_UNLESS_AVAILABLE(GetParam()); }
};
INSTANTIATE_TEST_SUITE_P(S3Servers, FlakyNetworkTest, ::testing::ValuesIn(kS3Servers),
                         TestStorageParamName);

TEST_P(FlakyNetworkTest, PutAndGetGetThroughResetConnections) {
  // Every third connection is cut after 300 KiB: mid-request for a 5 MiB part, mid-body for a
  // download.
  FlakyS3 s3(GetParam(), "flaky",
             [](int n) { return n % 3 == 1 ? int64_t{300 * 1024} : int64_t{-1}; });
  std::string data = RandomBytes(17 << 20, 31);
  fs::path src = s3.cli.work().path() / "src";
  WriteFile(src, data);
  auto put = s3.cli.Run("st put " + ShellQuote(src.string()) + " obj");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  fs::path dst = s3.cli.work().path() / "dst";
  auto get = s3.cli.Run("st get obj.lz4 " + ShellQuote(dst.string()));
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_TRUE(ReadFile(dst) == data);
  EXPECT_GT(s3.proxy.resets(), 0) << "the proxy broke nothing: the test proves nothing";
}

TEST_P(FlakyNetworkTest, APutThatCannotGetThroughFailsCleanlyAndLeavesNoObject) {
  // Every connection dies after 1 MiB: small requests pass, no 5 MiB part can.
  FlakyS3 s3(GetParam(), "dead", [](int) { return int64_t{1 << 20}; });
  s3.cli.Set("WALG_S3_MAX_RETRIES", "3");
  fs::path src = s3.cli.work().path() / "src";
  WriteFile(src, RandomBytes(12 << 20, 32));
  auto put = s3.cli.Run("st put " + ShellQuote(src.string()) + " obj");
  EXPECT_EQ(put.exit_code, 1);
  EXPECT_EQ(ErrorLines(put).size(), 1u) << put.err;
  EXPECT_NE(put.err.find("obj.lz4"), std::string::npos) << put.err;
  auto ls = s3.direct.Run("st ls -r");
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_EQ(ls.out.find("obj.lz4"), std::string::npos) << "a failed upload became visible";
  if (const RgwBucket* bucket = s3.cli.rgw_bucket()) {
    // s3rver cannot list uploads; RGW keeps (and AWS bills) an upload nobody aborted.
    EXPECT_EQ(bucket->OpenUploadKeys(), std::vector<std::string>{})
        << "the failed multipart upload was not aborted";
  }
}

// Every third connection has its first answer cut in the middle of the status line and headers
// (an orderly close, which libcurl takes for a complete answer), and one is accepted and never
// answered. Every operation (multipart upload, list, ranged GET, HEAD, delete) gets through.
TEST_P(FlakyNetworkTest, AnswersCutInTheirHeadersAndASilentConnectionAreRetriedThrough) {
  FlakyS3 s3(GetParam(), "cut", [](int n, std::string_view) {
    if (n == 2) return ProxyFault::Silent();
    if (n % 3 == 1) return ProxyFault::CloseResponseAfter(20 + n % 50);
    return ProxyFault::None();
  });
  // A 5 s stall timeout, and room for a retry after it (the stall is seen up to a second late).
  s3.cli.Set("WALNUT_STORAGE_RETRY_TIMEOUT", "20s");
  std::string data = RandomBytes(12 << 20, 33);
  fs::path src = s3.cli.work().path() / "src";
  WriteFile(src, data);
  for (const char* name : {"a", "b", "c"}) {
    auto put = s3.cli.Run("st put " + ShellQuote(src.string()) + " dir/" + name);
    ASSERT_EQ(put.exit_code, 0) << put.err;
  }
  auto ls = s3.cli.Run("st ls dir/");
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_EQ(Lines(ls.out).size(), 4u) << ls.out;  // a header and three objects
  fs::path dst = s3.cli.work().path() / "dst";
  auto get = s3.cli.Run("st get dir/b.lz4 " + ShellQuote(dst.string()));
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_TRUE(ReadFile(dst) == data);
  auto rm = s3.cli.Run("st rm dir/a.lz4");
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  auto left = s3.direct.Run("st ls -r dir/");
  ASSERT_EQ(left.exit_code, 0) << left.err;
  EXPECT_EQ(left.out.find("a.lz4"), std::string::npos) << left.out;
  EXPECT_NE(left.out.find("c.lz4"), std::string::npos) << left.out;
  // Five or more: since an upload looks for an archived copy with one listing instead of five
  // HEADs, the run opens fewer connections (five faults on s3rver, one of them the silent one).
  EXPECT_GE(s3.proxy.faults(), 5) << "the proxy broke too little to prove anything";
}

// The probe: single wal-fetch calls while answers are cut short. Each call retries and
// restores the segment; none exits with a failure PostgreSQL would take for the end of the WAL.
TEST_P(FlakyNetworkTest, WalFetchCallsRideOutAnswersCutInTheirHeaders) {
  FlakyS3 s3(GetParam(), "walfetch", [](int n, std::string_view) {
    return n % 3 == 1 ? ProxyFault::CloseResponseAfter(20 + n % 40) : ProxyFault::None();
  });
  s3.cli.Set("WALG_DOWNLOAD_CONCURRENCY", "1");  // no prefetcher: one process, one fetch
  constexpr uint64_t kSegmentSize = 16u << 20;
  fs::path pg_wal = s3.cli.work().path() / "pg_wal";
  std::vector<std::string> names;
  for (uint64_t segno = 1; segno <= 3; ++segno) {
    fs::path segment = WriteFakeWalSegment(pg_wal, {1, segno}, 7'300'000'000'000'000'123ull,
                                           /*ready=*/false, kSegmentSize);
    names.push_back(segment.filename().string());
    auto push = s3.direct.Run("wal-push " + ShellQuote(segment.string()));
    ASSERT_EQ(push.exit_code, 0) << push.err;
  }
  fs::path restored = s3.cli.work().path() / "RECOVERYXLOG";
  for (int call = 0; call < 30; ++call) {
    const std::string& name = names[static_cast<size_t>(call) % names.size()];
    fs::remove(restored);
    auto fetch = s3.cli.Run("wal-fetch " + name + " " + ShellQuote(restored.string()));
    ASSERT_EQ(fetch.exit_code, 0) << "call " << call << ": " << fetch.err;
    ASSERT_TRUE(ReadFile(restored) == ReadFile(pg_wal / name)) << name;
  }
  EXPECT_GT(s3.proxy.faults(), 5) << "the proxy broke too little to prove anything";
}

// One command against an endpoint that is dead in one way, timed.
struct DeadRun {
  std::string endpoint_kind;
  std::string command;
  CommandResult result;
  double seconds = 0;
};

// With the default settings (WALNUT_STORAGE_RETRY_TIMEOUT=30s), each command fails in under 30 s
// against an endpoint that refuses connections, a host name that does not resolve, and an
// endpoint that accepts connections and never answers, with one line naming the endpoint and what
// was tried; and not at once, so that a shorter outage would have been ridden out. The twelve
// commands run at the same time.
TEST(DeadEndpointTest, EveryCommandFailsWithinTheRetryBudgetWithOneLine) {
  SilentListener silent;
  const std::vector<std::pair<std::string, std::string>> endpoints = {
      {"refused", fmt::format("http://127.0.0.1:{}", RefusingPort())},
      {"unresolvable", "http://walnut-test.invalid:9000"},
      {"silent", silent.endpoint()},
  };
  TempDir work;
  fs::path segment = WriteFakeWalSegment(work.path() / "pg_wal", {1, 5},
                                         7'300'000'000'000'000'124ull, true, 16u << 20);
  const std::vector<std::string> commands = {
      "st ls",
      "backup-list",
      "wal-push " + ShellQuote(segment.string()),
      "wal-fetch " + segment.filename().string() + " " +
          ShellQuote((work.path() / "RECOVERYXLOG").string()),
  };
  std::vector<DeadRun> runs;
  std::vector<std::future<void>> running;
  runs.reserve(endpoints.size() * commands.size());
  for (const auto& [kind, endpoint] : endpoints) {
    for (const auto& command : commands) {
      runs.push_back(DeadRun{kind, command, {}, 0});
      CliRunner cli;
      cli.Set("WALG_S3_PREFIX", "s3://bucket/archive");
      cli.Set("AWS_ENDPOINT", endpoint);
      cli.Set("AWS_S3_FORCE_PATH_STYLE", "true");
      cli.Set("AWS_REGION", "us-east-1");
      cli.Set("AWS_ACCESS_KEY_ID", "id");
      cli.Set("AWS_SECRET_ACCESS_KEY", "secret");
      DeadRun* run = &runs.back();
      std::string line = cli.CommandLine(command);
      running.push_back(std::async(std::launch::async, [run, line] {
        auto start = steady_clock::now();
        run->result = RunCommand(line);
        run->seconds = duration<double>(steady_clock::now() - start).count();
      }));
    }
  }
  for (auto& f : running) f.get();
  for (const DeadRun& run : runs) {
    const std::string what = run.endpoint_kind + " endpoint, " + run.command;
    std::cout << fmt::format("[ measured ] {:<12} {:<11} exit {} after {:.1f} s\n",
                             run.endpoint_kind, run.command.substr(0, run.command.find(' ', 3)),
                             run.result.exit_code, run.seconds);
    EXPECT_EQ(run.result.exit_code, 1) << what << ": " << run.result.err;
    EXPECT_LT(run.seconds, 30.0) << what;
    EXPECT_GT(run.seconds, 5.0) << what << ": gave up too early to ride out an outage";
    ExpectOneErrorLine(run.result, {"gave up after", "check the S3 endpoint"});
  }
}

}  // namespace
}  // namespace walnut::testing
