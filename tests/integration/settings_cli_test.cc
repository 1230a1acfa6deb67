// Settings through the real binary: a refused setting stops every command with one line and exit
// 2, a warned one runs with a warning, bad values exit 2 naming the setting, and `walnut flags`
// shows what Walnut does with each setting.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/test_util.h"

namespace walnut::testing {
namespace {

using ::testing::HasSubstr;

class SettingsCliTest : public ::testing::Test {
 protected:
  void SetUp() override { cli_.UseFileStorage(); }
  CliRunner cli_;
};

TEST_F(SettingsCliTest, RefusedSettingsStopEveryCommandWithExit2) {
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"S3_USE_YC_SESSION_TOKEN", "t"},
                                                        {"WALG_S3_ENDPOINT_SOURCE", "http://x"},
                                                        {"WALG_ENVELOPE_PGP_KEY", "key"},
                                                        {"WALG_CSE_KMS_ID", "key-1"},
                                                        {"WALG_SWIFT_PREFIX", "swift://c/p"}}) {
    CliRunner cli;
    cli.CopySettingsFrom(cli_);
    cli.Set(name, value);
    for (std::string command : {"st ls", "backup-list", "wal-fetch 000000010000000000000001 x"}) {
      CommandResult r = cli.Run(command);
      // wal-fetch is restore_command: it exits 1 for every failure but "not archived" (74).
      int expected = command.starts_with("wal-fetch") ? 1 : 2;
      EXPECT_EQ(r.exit_code, expected) << name << " / " << command << ": " << r.err;
      ExpectOneErrorLine(r, {name});
    }
  }
}

TEST_F(SettingsCliTest, DefaultValuesOfRefusedSettingsAreFine) {
  cli_.Set("WALG_PG_BLOCK_SIZE", "8192");
  cli_.Set("WALG_SERIALIZER_TYPE", "json_default");
  CommandResult r = cli_.Run("st ls");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(SettingsCliTest, WarnedSettingsRunWithAWarning) {
  cli_.Set("GOMAXPROCS", "4");
  cli_.Set("WALG_USE_WAL_DELTA", "true");
  CommandResult r = cli_.Run("st ls");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("GOMAXPROCS is ignored: "));
  EXPECT_THAT(r.err, HasSubstr("WALG_USE_WAL_DELTA is ignored: "));
}

TEST_F(SettingsCliTest, BadValuesExit2NamingTheSetting) {
  struct Case {
    std::string name, value;
  };
  for (const Case& c : std::vector<Case>{{"WALG_DOWNLOAD_CONCURRENCY", "0x10"},
                                         {"WALG_LIBSODIUM_KEY_PATH", "/nonexistent/walnut.key"},
                                         {"PGPORT", "abc"},
                                         {"WALG_UPLOAD_CONCURRENCY", "-1"}}) {
    CliRunner cli;
    cli.CopySettingsFrom(cli_);
    cli.Set(c.name, c.value);
    CommandResult r = cli.Run("st put /etc/hostname x");
    EXPECT_EQ(r.exit_code, 2) << c.name << ": " << r.err;
    ExpectOneErrorLine(r, {c.name});
  }
}

TEST_F(SettingsCliTest, MalformedEndpointIsNamed) {
  CliRunner cli;
  cli.Set("WALG_S3_PREFIX", "s3://bucket/p");
  cli.Set("AWS_ACCESS_KEY_ID", "k");
  cli.Set("AWS_SECRET_ACCESS_KEY", "s");
  for (const char* endpoint : {"http://", "http://host:port", "ftp://host"}) {
    cli.Set("AWS_ENDPOINT", endpoint);
    CommandResult r = cli.Run("st ls");
    EXPECT_EQ(r.exit_code, 2) << endpoint << ": " << r.err;
    ExpectOneErrorLine(r, {"AWS_ENDPOINT", endpoint});
  }
}

TEST_F(SettingsCliTest, S3WithoutCredentialsIsRefusedUnlessAnonymousIsAsked) {
  CliRunner cli;
  cli.Set("WALG_S3_PREFIX", "s3://bucket/p");
  cli.Set("AWS_ENDPOINT", "http://127.0.0.1:1");
  CommandResult r = cli.Run("st ls");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  ExpectOneErrorLine(r, {"no S3 credentials", "WALNUT_S3_ANONYMOUS"});
}

TEST_F(SettingsCliTest, UnreadableConfigFileExits2) {
  CommandResult r = cli_.Run("--config " + ShellQuote(cli_.work().str()) + " st ls");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  ExpectOneErrorLine(r, {cli_.work().str()});
}

TEST_F(SettingsCliTest, TomlConfigFile) {
  std::string path = cli_.work().str() + "/walg.toml";
  WriteFile(path, "WALG_COMPRESSION_METHOD = \"zstd\"\nWALG_ZSTD_LEVEL = \"best\"\n");
  WriteFile(cli_.work().str() + "/data.bin", RandomBytes(10000, 3));
  CommandResult put = cli_.Run("--config " + ShellQuote(path) + " st put " +
                               ShellQuote(cli_.work().str() + "/data.bin") + " obj");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  CommandResult ls = cli_.Run("st ls");
  EXPECT_THAT(ls.out, HasSubstr("obj.zst"));
}

TEST_F(SettingsCliTest, FlagsShowsEachSettingsStatus) {
  CommandResult r = cli_.Run("flags");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("refused: Yandex Cloud session tokens are not supported yet"));
  EXPECT_THAT(r.out, HasSubstr("warned: a Go runtime setting"));
  // `flags` works with a refused setting set: it is how one finds out why.
  cli_.Set("S3_USE_YC_SESSION_TOKEN", "yc-token-value");
  cli_.Set("AWS_PROFILE", "prod");
  // The credential sources' secrets are listed masked.
  cli_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer container-secret");
  CommandResult refused = cli_.Run("flags");
  EXPECT_EQ(refused.exit_code, 0) << refused.err;
  EXPECT_THAT(refused.out, HasSubstr("prod [env]"));
  EXPECT_THAT(refused.out, ::testing::Not(HasSubstr("container-secret")));
  EXPECT_THAT(refused.out, ::testing::Not(HasSubstr("yc-token-value")));
}

}  // namespace
}  // namespace walnut::testing
