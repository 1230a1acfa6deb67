// WALG_NETWORK_RATE_LIMIT holds uploads and downloads of the built binary, as WAL-G's does, and
// --turbo lifts it.

#include <chrono>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "support/cli_runner.h"
#include "support/test_util.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr size_t kSize = 4 << 20;
constexpr uint64_t kRate = 2 << 20;  // 2 MiB/s: the 4 MiB object needs >= 1.4 s past the burst

struct Timed {
  CommandResult result;
  double seconds;
};

Timed TimedRun(const CliRunner& cli, const std::string& args) {
  auto start = Clock::now();
  CommandResult r = cli.Run(args);
  return {r, std::chrono::duration<double>(Clock::now() - start).count()};
}

TEST(CliRateLimitTest, NetworkRateLimitHoldsUploadsAndDownloadsAndTurboLiftsIt) {
  CliRunner cli;
  cli.UseFileStorage();
  cli.Set("WALG_NETWORK_RATE_LIMIT", std::to_string(kRate));
  std::string data = RandomBytes(kSize, 7);
  fs::path src = cli.work().path() / "src.bin";
  WriteFile(src, data);

  Timed put = TimedRun(cli, "st put --no-compress " + ShellQuote(src.string()) + " obj");
  ASSERT_EQ(put.result.exit_code, 0) << put.result.err;
  Timed get = TimedRun(cli, "st get obj " + ShellQuote((cli.work().path() / "a").string()));
  ASSERT_EQ(get.result.exit_code, 0) << get.result.err;
  EXPECT_EQ(ReadFile(cli.work().path() / "a"), data);
  Timed turbo =
      TimedRun(cli, "--turbo st get obj " + ShellQuote((cli.work().path() / "b").string()));
  ASSERT_EQ(turbo.result.exit_code, 0) << turbo.result.err;
  EXPECT_EQ(ReadFile(cli.work().path() / "b"), data);

  std::printf(
      "[ measure ] 4 MiB at WALG_NETWORK_RATE_LIMIT=2 MiB/s: put %.2f s, get %.2f s, "
      "get --turbo %.2f s\n",
      put.seconds, get.seconds, turbo.seconds);
  // (4 MiB - the 1.25 MiB burst) / 2 MiB/s = 1.375 s at least; generous upper bounds.
  EXPECT_GE(put.seconds, 1.2);
  EXPECT_GE(get.seconds, 1.2);
  EXPECT_LT(get.seconds, 10.0);
  EXPECT_LT(turbo.seconds, 1.0);
}

}  // namespace
}  // namespace walnut::testing
