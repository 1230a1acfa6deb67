// `--version` as scripts see it: the build's wal-g symlink prints WAL-G's line, walnut its own.

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "support/test_config.h"
#include "support/test_util.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;

// The wal-g symlink the build puts next to the walnut binary.
fs::path WalGSymlink() {
  const char* bin = std::getenv("WALNUT_BINARY");
  return fs::path(bin && *bin ? bin : WALNUT_TEST_BINARY).parent_path() / "wal-g";
}

TEST(CliVersionTest, WalGSymlinkPrintsWalGsVersionLine) {
  fs::path wal_g = WalGSymlink();
  ASSERT_TRUE(fs::is_symlink(wal_g)) << wal_g;
  auto r = RunCommand(ShellQuote(wal_g.string()) + " --version");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(
      std::regex_match(r.out, std::regex(R"(wal-g version v\d+\.\d+\.\d+\t([0-9a-f]{7,}|unknown)\t)"
                                         R"(\d{4}\.\d\d\.\d\d_\d\d:\d\d:\d\d\tPostgreSQL\n)")))
      << r.out;
  // What scripts written for WAL-G do with it: the third field is the version.
  auto awk = RunCommand(ShellQuote(wal_g.string()) + " --version | awk '{print $3}'");
  EXPECT_TRUE(std::regex_match(awk.out, std::regex(R"(v\d+\.\d+\.\d+\n)"))) << awk.out;
}

TEST(CliVersionTest, WalnutSaysWhatItIs) {
  auto r = RunCommand(WalnutBinary() + " --version");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("walnut version ")) << r.out;
  EXPECT_NE(r.out.find("WAL-G"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace walnut::testing
