// Commands against an S3 server reached through a network that breaks connections: they either
// get through by retrying or fail with one clear line, and never leave a half-written object.

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/fault_proxy.h"
#include "support/test_util.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;

int S3Port() {
  std::string endpoint = std::getenv("WALNUT_IT_S3_ENDPOINT");
  return std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
}

struct FlakyS3 {
  FlakyS3(const std::string& what, FaultProxy::Policy policy)
      : proxy("127.0.0.1", S3Port(), std::move(policy)) {
    cli.UseS3Storage(what);
    cli.Set("WALG_LIBSODIUM_KEY", "4f8a2c11d0e97b35a6c8e1f20b3d4c5e6f708192a3b4c5d6e7f8091a2b3c4d5e");
    cli.Set("WALG_LIBSODIUM_KEY_TRANSFORM", "hex");
    direct.CopySettingsFrom(cli);  // the same storage without the proxy: what really got stored
    cli.Set("AWS_ENDPOINT", proxy.endpoint());
    cli.Set("WALG_S3_MAX_PART_SIZE", "5MiB");
  }
  FaultProxy proxy;
  CliRunner cli;
  CliRunner direct;
};

TEST(FlakyNetworkTest, PutAndGetGetThroughResetConnections) {
  // Every third connection is cut after 300 KiB: mid-request for a 5 MiB part, mid-body for a
  // download.
  FlakyS3 s3("flaky", [](int n) { return n % 3 == 1 ? int64_t{300 * 1024} : int64_t{-1}; });
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

TEST(FlakyNetworkTest, APutThatCannotGetThroughFailsCleanlyAndLeavesNoObject) {
  // Every connection dies after 1 MiB: small requests pass, no 5 MiB part can.
  FlakyS3 s3("dead", [](int) { return int64_t{1 << 20}; });
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
}

}  // namespace
}  // namespace walnut::testing
