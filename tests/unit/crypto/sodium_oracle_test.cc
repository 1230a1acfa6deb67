// Compatibility with a second implementation of WAL-G's libsodium framing: tests/tools/
// sodium_oracle.js (npm libsodium-wrappers) decrypts what Walnut encrypts and encrypts what
// Walnut must decrypt.
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "crypto_test_util.h"
#include "support/test_config.h"

namespace walnut {
namespace {

using namespace walnut::testing;

std::filesystem::path RepoRoot() {
  const char* source_dir = std::getenv("WALNUT_SOURCE_DIR");
  if (source_dir != nullptr && *source_dir != '\0') return source_dir;
  // Run outside ctest: the source directory CMake configured (not __FILE__, which a compiler
  // cache may have made relative).
  return WALNUT_TEST_SOURCE_DIR;
}

// Runs the oracle; a missing node or libsodium-wrappers fails the test (never a skip).
std::string RunOracle(const std::string& mode, const std::string& input) {
  std::filesystem::path root = RepoRoot();
  std::filesystem::path script = root / "tests" / "tools" / "sodium_oracle.js";
  EXPECT_TRUE(std::filesystem::exists(script)) << script;
  std::string command = "WALNUT_ORACLE_KEY_HEX=" + std::string(kTestKeyHex) +
                        " NODE_PATH=" + ShellQuote((root / "node_modules").string()) + " node " +
                        ShellQuote(script.string()) + " " + mode;
  CommandResult result = RunCommand(command, input);
  EXPECT_EQ(result.exit_code, 0) << "sodium_oracle.js " << mode << ": " << result.err;
  return result.out;
}

class SodiumOracleTest : public ::testing::TestWithParam<size_t> {
 protected:
  SodiumCrypter crypter_{HexKey(kTestKeyHex)};
};

TEST_P(SodiumOracleTest, OracleDecryptsWalnutOutput) {
  std::string plain = RandomBytes(GetParam(), GetParam() + 100);
  std::string cipher = Encrypt(crypter_, plain, 3000);
  ASSERT_EQ(cipher.size(), CipherSize(plain.size()));
  EXPECT_TRUE(RunOracle("decrypt", cipher) == plain);
}

TEST_P(SodiumOracleTest, WalnutDecryptsOracleOutput) {
  std::string plain = RandomBytes(GetParam(), GetParam() + 200);
  std::string cipher = RunOracle("encrypt", plain);
  ASSERT_EQ(cipher.size(), CipherSize(plain.size()));
  EXPECT_TRUE(Decrypt(crypter_, cipher) == plain);
}

TEST(SodiumOracleSelfCheck, OracleRejectsTamperedAndTruncatedStreams) {
  // Guards the oracle itself: if it accepted anything, the tests above would prove nothing.
  std::filesystem::path root = RepoRoot();
  std::string base = "WALNUT_ORACLE_KEY_HEX=" + std::string(kTestKeyHex) +
                     " NODE_PATH=" + ShellQuote((root / "node_modules").string()) + " node " +
                     ShellQuote((root / "tests" / "tools" / "sodium_oracle.js").string());
  SodiumCrypter crypter(HexKey(kTestKeyHex));
  std::string cipher = Encrypt(crypter, RandomBytes(10000, 1));
  std::string flipped = cipher;
  flipped[100] = static_cast<char>(flipped[100] ^ 1);
  EXPECT_NE(RunCommand(base + " decrypt", flipped).exit_code, 0);
  EXPECT_NE(RunCommand(base + " decrypt", cipher.substr(0, sodium_format::kHeaderSize +
                                                               sodium_format::kCipherChunkSize))
                .exit_code,
            0);
  EXPECT_NE(RunCommand(base + " decrypt", cipher + "x").exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Sizes, SodiumOracleTest,
                         ::testing::Values(0, 1, 8191, 8192, 8193, 100000));

}  // namespace
}  // namespace walnut
