#include "config/config.h"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/error.h"
#include "support/test_util.h"

namespace walnut {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ConfigFileValues FileOf(Config::Values values, std::string path = "/etc/walg.json") {
  ConfigFileValues file;
  file.path = std::move(path);
  file.values = std::move(values);
  return file;
}

std::string ErrorText(const std::function<void()>& fn, ErrorCode expected_code) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), expected_code) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return "";
}

TEST(ConfigTest, PrecedenceIsFlagThenEnvThenFileThenDefault) {
  Config::Values file = {{"WALG_UPLOAD_CONCURRENCY", "3"},
                         {"WALG_DOWNLOAD_CONCURRENCY", "4"},
                         {"WALG_UPLOAD_QUEUE", "5"}};
  Environment env = {{"WALG_UPLOAD_CONCURRENCY", "30"}, {"WALG_DOWNLOAD_CONCURRENCY", "40"}};
  Config::Values flags = {{"WALG_UPLOAD_CONCURRENCY", "300"}};
  Config config(flags, env, FileOf(file));

  EXPECT_EQ(config.Get("WALG_UPLOAD_CONCURRENCY"), "300");
  EXPECT_EQ(config.Source("WALG_UPLOAD_CONCURRENCY"), SettingSource::kFlag);
  EXPECT_EQ(config.Get("WALG_DOWNLOAD_CONCURRENCY"), "40");
  EXPECT_EQ(config.Source("WALG_DOWNLOAD_CONCURRENCY"), SettingSource::kEnvironment);
  EXPECT_EQ(config.Get("WALG_UPLOAD_QUEUE"), "5");
  EXPECT_EQ(config.Source("WALG_UPLOAD_QUEUE"), SettingSource::kFile);
  EXPECT_EQ(config.Get("WALG_UPLOAD_DISK_CONCURRENCY"), "1");
  EXPECT_EQ(config.Source("WALG_UPLOAD_DISK_CONCURRENCY"), SettingSource::kDefault);
  EXPECT_FALSE(config.IsExplicit("WALG_UPLOAD_DISK_CONCURRENCY"));
  EXPECT_TRUE(config.IsExplicit("WALG_UPLOAD_QUEUE"));
  EXPECT_EQ(config.Get("WALG_S3_PREFIX"), std::nullopt);
  EXPECT_EQ(config.Source("WALG_S3_PREFIX"), SettingSource::kUnset);
  EXPECT_TRUE(config.warnings().empty());
}

TEST(ConfigTest, EmptyValuesCountAsUnsetAndLineEndsAreTrimmed) {
  Environment env = {{"WALG_COMPRESSION_METHOD", ""}, {"WALG_S3_PREFIX", "s3://b/p\r\n"}};
  Config config({}, env, FileOf({{"WALG_COMPRESSION_METHOD", "zstd"}}));
  EXPECT_EQ(config.Get("WALG_COMPRESSION_METHOD"), "zstd");
  EXPECT_EQ(config.Get("WALG_S3_PREFIX"), "s3://b/p");
}

TEST(ConfigTest, WaleAndStorageAliasesResolveToTheCanonicalSetting) {
  Environment env = {{"WALE_S3_PREFIX", "s3://old/x"},    {"S3_SSE", "AES256"},
                     {"S3_STORAGE_CLASS", "STANDARD_IA"}, {"AWS_ACCESS_KEY", "AKID"},
                     {"AWS_SECRET_KEY", "SECRET"},        {"WALE_GPG_KEY_ID", "ABCD"}};
  Config config({}, env);
  EXPECT_EQ(config.Get("WALG_S3_PREFIX"), "s3://old/x");
  EXPECT_EQ(config.SpelledName("WALG_S3_PREFIX"), "WALE_S3_PREFIX");
  EXPECT_EQ(config.Get("WALG_S3_SSE"), "AES256");
  EXPECT_EQ(config.Get("WALG_S3_STORAGE_CLASS"), "STANDARD_IA");
  EXPECT_EQ(config.Get("AWS_ACCESS_KEY_ID"), "AKID");
  EXPECT_EQ(config.Get("AWS_SECRET_ACCESS_KEY"), "SECRET");
  EXPECT_EQ(config.Get("WALG_GPG_KEY_ID"), "ABCD");
  // Lookups by alias reach the same setting.
  EXPECT_EQ(config.Get("WALE_S3_PREFIX"), "s3://old/x");
}

TEST(ConfigTest, SourceBeatsSpellingAndCanonicalBeatsAliasWithinASource) {
  // Environment's WALE_ spelling beats the file's WALG_ spelling: precedence is by source.
  Environment env = {{"WALE_S3_PREFIX", "s3://env/x"}};
  Config by_source({}, env, FileOf({{"WALG_S3_PREFIX", "s3://file/x"}}));
  EXPECT_EQ(by_source.Get("WALG_S3_PREFIX"), "s3://env/x");

  Environment both = {{"WALE_S3_PREFIX", "s3://wale/x"}, {"WALG_S3_PREFIX", "s3://walg/x"}};
  Config config({}, both);
  EXPECT_EQ(config.Get("WALG_S3_PREFIX"), "s3://walg/x");
  ASSERT_EQ(config.warnings().size(), 1u);
  EXPECT_THAT(config.warnings()[0], HasSubstr("WALE_S3_PREFIX is ignored"));
  EXPECT_THAT(config.warnings()[0], HasSubstr("WALG_S3_PREFIX"));

  // Same value under both spellings: nothing to warn about.
  Environment same = {{"WALE_S3_PREFIX", "s3://x/y"}, {"WALG_S3_PREFIX", "s3://x/y"}};
  EXPECT_TRUE(Config({}, same).warnings().empty());
}

TEST(ConfigTest, UnknownFileKeysWarnButEnvironmentIsNotChecked) {
  Environment env = {{"WALG_MYSQL_DATASOURCE_NAME", "x"}, {"PATH", "/bin"}};
  Config config({}, env, FileOf({{"WALG_S3_PREFX", "s3://b"}, {"FOO", "1"}}));
  ASSERT_EQ(config.warnings().size(), 2u);
  EXPECT_THAT(config.warnings()[0], HasSubstr("FOO is unknown"));
  EXPECT_THAT(config.warnings()[0], Not(HasSubstr("did you mean")));
  EXPECT_THAT(config.warnings()[1], HasSubstr("WALG_S3_PREFX is unknown"));
  EXPECT_THAT(config.warnings()[1], HasSubstr("did you mean WALG_S3_PREFIX?"));
  EXPECT_THAT(config.warnings()[1], HasSubstr("/etc/walg.json"));
}

TEST(ConfigTest, TypedGettersParse) {
  Environment env = {{"WALG_UPLOAD_CONCURRENCY", "8"},
                     {"WALG_PREVENT_WAL_OVERWRITE", "True"},
                     {"WALG_S3_MAX_PART_SIZE", "64MiB"},
                     {"WALG_ALIVE_CHECK_INTERVAL", "90s"},
                     {"WALG_COMPRESSION_METHOD", "ZSTD"}};
  Config config({}, env);
  EXPECT_EQ(config.GetInt("WALG_UPLOAD_CONCURRENCY", 1, 100), 8);
  EXPECT_TRUE(config.GetBool("WALG_PREVENT_WAL_OVERWRITE"));
  EXPECT_EQ(config.GetBytes("WALG_S3_MAX_PART_SIZE", 1, UINT64_MAX), 64u << 20);
  EXPECT_EQ(config.GetDuration("WALG_ALIVE_CHECK_INTERVAL"), std::chrono::seconds(90));
  EXPECT_EQ(config.GetEnum("WALG_COMPRESSION_METHOD"), "zstd");
  // Defaults go through the same parsers.
  EXPECT_EQ(config.GetInt("WALG_DOWNLOAD_CONCURRENCY", 1, 100), 10);
  EXPECT_EQ(config.GetDuration("WALG_DAEMON_WAL_UPLOAD_TIMEOUT"), std::chrono::seconds(60));
  EXPECT_EQ(config.GetBytes("WALG_FAILOVER_STORAGES_CHECK_SIZE", 0, UINT64_MAX), 1u << 20);
}

TEST(ConfigTest, BadValuesNameTheSettingTheValueAndWhatIsAccepted) {
  Config config({{"WALG_UPLOAD_CONCURRENCY", "0"}},
                {{"WALG_COMPRESSION_METHOD", "lz5"}, {"WALG_TAR_DISABLE_FSYNC", "yes"}},
                FileOf({{"WALG_ALIVE_CHECK_INTERVAL", "10"}, {"WALG_S3_MAX_PART_SIZE", "big"}}));

  EXPECT_EQ(
      ErrorText([&] { config.GetEnum("WALG_COMPRESSION_METHOD"); }, ErrorCode::kInvalidArgument),
      "WALG_COMPRESSION_METHOD: unknown value 'lz5'; accepted: lz4, lzma, zstd, brotli, none");
  std::string concurrency = ErrorText([&] { config.GetInt("WALG_UPLOAD_CONCURRENCY", 1, 64); },
                                      ErrorCode::kInvalidArgument);
  EXPECT_THAT(concurrency, HasSubstr("WALG_UPLOAD_CONCURRENCY (flag --walg-upload-concurrency)"));
  EXPECT_THAT(concurrency, HasSubstr("'0'"));
  EXPECT_THAT(concurrency, HasSubstr("from 1 to 64"));
  std::string fsync =
      ErrorText([&] { config.GetBool("WALG_TAR_DISABLE_FSYNC"); }, ErrorCode::kInvalidArgument);
  EXPECT_THAT(fsync,
              HasSubstr("WALG_TAR_DISABLE_FSYNC: invalid value 'yes'; expected true or false"));
  std::string interval = ErrorText([&] { config.GetDuration("WALG_ALIVE_CHECK_INTERVAL"); },
                                   ErrorCode::kInvalidArgument);
  EXPECT_THAT(interval, HasSubstr("WALG_ALIVE_CHECK_INTERVAL (config file /etc/walg.json)"));
  EXPECT_THAT(interval, HasSubstr("'10'"));
  EXPECT_THAT(interval, HasSubstr("30s"));
  std::string part = ErrorText([&] { config.GetBytes("WALG_S3_MAX_PART_SIZE", 1, 100); },
                               ErrorCode::kInvalidArgument);
  EXPECT_THAT(part, HasSubstr("'big'"));
  EXPECT_THAT(part, HasSubstr("from 1 to 100"));
  std::string unset =
      ErrorText([&] { config.GetString("WALG_S3_PREFIX"); }, ErrorCode::kInvalidArgument);
  EXPECT_THAT(unset, HasSubstr("WALG_S3_PREFIX is not set"));
  EXPECT_THAT(unset, HasSubstr("--walg-s3-prefix"));
}

TEST(ConfigTest, SecretValuesNeverAppearInErrors) {
  const std::string secret = "hunter2-very-secret";
  Config config({}, {{"WALG_LIBSODIUM_KEY", secret}, {"PGPASSWORD", secret}});
  // Misuse a secret setting as a number/bool: the error must not echo it.
  std::string as_int =
      ErrorText([&] { config.GetInt("WALG_LIBSODIUM_KEY", 0, 1); }, ErrorCode::kInvalidArgument);
  EXPECT_THAT(as_int, HasSubstr("WALG_LIBSODIUM_KEY"));
  EXPECT_THAT(as_int, Not(HasSubstr(secret)));
  std::string as_bool =
      ErrorText([&] { config.GetBool("PGPASSWORD"); }, ErrorCode::kInvalidArgument);
  EXPECT_THAT(as_bool, HasSubstr("PGPASSWORD"));
  EXPECT_THAT(as_bool, Not(HasSubstr(secret)));
  std::string invalid = ErrorText([&] { config.ThrowInvalid("PGPASSWORD", "too short"); },
                                  ErrorCode::kInvalidArgument);
  EXPECT_THAT(invalid, Not(HasSubstr(secret)));
}

TEST(ConfigTest, UnknownSettingNamesAreProgrammingErrors) {
  Config config({}, {});
  ErrorText([&] { config.Get("WALG_NOPE"); }, ErrorCode::kInternal);
}

TEST(ConfigTest, PgEnvironmentHasFileAndFlagValuesNotEnvOnes) {
  Config config(
      {{"PGPORT", "6432"}}, {{"PGHOST", "/run/pg"}, {"PGUSER", "env-user"}},
      FileOf({{"PGUSER", "file-user"}, {"PGPASSWORD", "pw"}, {"WALG_S3_PREFIX", "s3://b"}}));
  auto pg = config.PgEnvironment();
  std::map<std::string, std::string> exported(pg.begin(), pg.end());
  EXPECT_EQ(exported, (std::map<std::string, std::string>{
                          {"PGPORT", "6432"}, {"PGPASSWORD", "pw"}, {"PGAPPNAME", "wal-g"}}));
}

TEST(ConfigTest, ExportPgEnvironmentSetsTheProcessEnvironment) {
  ::unsetenv("PGSSLMODE");
  bool had_appname = ::getenv("PGAPPNAME") != nullptr;
  Config config({}, {}, FileOf({{"PGSSLMODE", "verify-full"}}));
  config.ExportPgEnvironment();
  const char* value = ::getenv("PGSSLMODE");
  ASSERT_NE(value, nullptr);
  EXPECT_STREQ(value, "verify-full");
  ::unsetenv("PGSSLMODE");
  if (!had_appname) ::unsetenv("PGAPPNAME");
}

// Config::Load with real files.

TEST(ConfigLoadTest, ExplicitJsonFileWithStringNumberAndBoolValues) {
  testing::TempDir dir;
  std::string path = dir.str() + "/walg.json";
  testing::WriteFile(path, R"({"WALG_S3_PREFIX": "s3://bucket/p", "WALG_UPLOAD_CONCURRENCY": 4,
    "walg_prevent_wal_overwrite": true, "WALG_DISK_RATE_LIMIT": 1.5e6, "PGHOST": null,
    "WALG_FAILOVER_STORAGES": {"second": {"WALG_FILE_PREFIX": "/b"}}})");
  SettingFlags flags;
  flags.config_path = path;
  Config config = Config::Load(flags, {{"HOME", dir.str()}});
  EXPECT_EQ(config.file_path(), path);
  EXPECT_EQ(config.Get("WALG_S3_PREFIX"), "s3://bucket/p");
  EXPECT_EQ(config.Get("WALG_UPLOAD_CONCURRENCY"), "4");
  EXPECT_EQ(config.Get("WALG_PREVENT_WAL_OVERWRITE"), "true");
  EXPECT_EQ(config.Get("WALG_DISK_RATE_LIMIT"), "1500000");
  EXPECT_EQ(config.Get("PGHOST"), std::nullopt);
  EXPECT_EQ(config.Get("WALG_FAILOVER_STORAGES"), R"({"second":{"WALG_FILE_PREFIX":"/b"}})");
  EXPECT_TRUE(config.warnings().empty());
}

TEST(ConfigLoadTest, YamlFileFoundInHomeWithTypedScalars) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / ".walg.yaml",
                     "WALG_FILE_PREFIX: /var/backups\n"
                     "WALG_DOWNLOAD_CONCURRENCY: 3\n"
                     "PG_READY_RENAME: true\n"
                     "WALG_PGP_KEY: |\n"
                     "  -----BEGIN PGP PUBLIC KEY BLOCK-----\n"
                     "  abc\n"
                     "WALG_UNKNOWN_THING: 1\n");
  Config config = Config::Load({}, {{"HOME", dir.str()}});
  EXPECT_EQ(config.file_path(), (dir.path() / ".walg.yaml").string());
  EXPECT_EQ(config.Get("WALG_FILE_PREFIX"), "/var/backups");
  EXPECT_EQ(config.Get("WALG_DOWNLOAD_CONCURRENCY"), "3");
  EXPECT_EQ(config.Get("PG_READY_RENAME"), "true");
  EXPECT_EQ(config.Get("WALG_PGP_KEY"), "-----BEGIN PGP PUBLIC KEY BLOCK-----\nabc");
  ASSERT_EQ(config.warnings().size(), 1u);
  EXPECT_THAT(config.warnings()[0], HasSubstr("WALG_UNKNOWN_THING is unknown"));
}

TEST(ConfigLoadTest, DefaultFilesAreTriedInViperOrder) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / ".walg.hcl", "WALG_FILE_PREFIX = \"/hcl\"\n");
  Config hcl = Config::Load({}, {{"HOME", dir.str()}});
  EXPECT_EQ(hcl.Get("WALG_FILE_PREFIX"), std::nullopt);
  ASSERT_EQ(hcl.warnings().size(), 1u);
  EXPECT_THAT(hcl.warnings()[0], HasSubstr(".walg.hcl is ignored"));

  testing::WriteFile(dir.path() / ".walg.yml", "WALG_FILE_PREFIX: /yml\n");
  EXPECT_EQ(Config::Load({}, {{"HOME", dir.str()}}).Get("WALG_FILE_PREFIX"), "/yml");

  testing::WriteFile(dir.path() / ".walg.toml", "WALG_FILE_PREFIX = '/toml'\n");
  EXPECT_EQ(Config::Load({}, {{"HOME", dir.str()}}).Get("WALG_FILE_PREFIX"), "/toml");
  testing::WriteFile(dir.path() / ".walg.json", R"({"WALG_FILE_PREFIX": "/json"})");
  EXPECT_EQ(Config::Load({}, {{"HOME", dir.str()}}).Get("WALG_FILE_PREFIX"), "/json");
}

TEST(ConfigLoadTest, TomlFilesAreReadAsViperReadsThem) {
  testing::TempDir dir;
  SettingFlags flags;
  flags.config_path = dir.str() + "/walg.toml";
  testing::WriteFile(*flags.config_path, R"(# WAL-G settings
WALG_FILE_PREFIX = "/var/backups"
walg_download_concurrency = 3
PG_READY_RENAME = true
WALG_DISK_RATE_LIMIT = 1.5e6
WALG_PGP_KEY = """
-----BEGIN PGP PUBLIC KEY BLOCK-----
abc"""

[WALG_FAILOVER_STORAGES.second]
WALG_S3_PREFIX = "s3://b"
)");
  Config config = Config::Load(flags, {});
  EXPECT_EQ(config.file_path(), *flags.config_path);
  EXPECT_EQ(config.Get("WALG_FILE_PREFIX"), "/var/backups");
  EXPECT_EQ(config.Get("WALG_DOWNLOAD_CONCURRENCY"), "3");
  EXPECT_EQ(config.Get("PG_READY_RENAME"), "true");
  EXPECT_EQ(config.Get("WALG_DISK_RATE_LIMIT"), "1500000");
  EXPECT_EQ(config.Get("WALG_PGP_KEY"), "-----BEGIN PGP PUBLIC KEY BLOCK-----\nabc");
  EXPECT_EQ(config.Get("WALG_FAILOVER_STORAGES"), R"({"second":{"WALG_S3_PREFIX":"s3://b"}})");
}

TEST(ConfigLoadTest, TomlSyntaxErrorsNameThePlaceNotTheText) {
  testing::TempDir dir;
  SettingFlags flags;
  flags.config_path = dir.str() + "/walg.toml";
  testing::WriteFile(*flags.config_path, "WALG_FILE_PREFIX = '/x'\nWALG_LIBSODIUM_KEY = s3cr3t\n");
  std::string message = ErrorText([&] { Config::Load(flags, {}); }, ErrorCode::kInvalidArgument);
  EXPECT_THAT(message, HasSubstr("invalid TOML at line 2"));
  EXPECT_THAT(message, Not(HasSubstr("s3cr3t")));
}

TEST(ConfigLoadTest, AnUnreadableFileIsASettingError) {
  testing::TempDir dir;
  SettingFlags flags;
  flags.config_path = dir.str();  // a directory cannot be read as a file
  EXPECT_THAT(ErrorText([&] { Config::Load(flags, {}); }, ErrorCode::kInvalidArgument),
              HasSubstr("is not a regular file"));
  flags.config_path = dir.str() + "/secret.json";
  testing::WriteFile(*flags.config_path, "{}");
  std::filesystem::permissions(*flags.config_path, std::filesystem::perms::none);
  if (::geteuid() != 0) {  // root reads it anyway
    EXPECT_THAT(ErrorText([&] { Config::Load(flags, {}); }, ErrorCode::kInvalidArgument),
                HasSubstr("cannot open config file"));
  }
}

TEST(ConfigLoadTest, WalgConfigPathAndFlagPrecedence) {
  testing::TempDir dir;
  std::string a = dir.str() + "/a.json";
  std::string b = dir.str() + "/b.yaml";
  testing::WriteFile(a, R"({"WALG_FILE_PREFIX": "/a"})");
  testing::WriteFile(b, "WALG_FILE_PREFIX: /b\n");
  Environment env = {{"HOME", dir.str()}, {"WALG_CONFIG_PATH", a}};
  EXPECT_EQ(Config::Load({}, env).Get("WALG_FILE_PREFIX"), "/a");
  SettingFlags flags;
  flags.config_path = b;
  EXPECT_EQ(Config::Load(flags, env).Get("WALG_FILE_PREFIX"), "/b");
}

TEST(ConfigLoadTest, NoFileAnywhereIsFine) {
  testing::TempDir dir;
  Config config = Config::Load({}, {{"HOME", dir.str()}, {"WALG_FILE_PREFIX", "/x"}});
  EXPECT_EQ(config.file_path(), "");
  EXPECT_EQ(config.Get("WALG_FILE_PREFIX"), "/x");
}

TEST(ConfigLoadTest, MissingExplicitFileIsAnError) {
  testing::TempDir dir;
  SettingFlags flags;
  flags.config_path = dir.str() + "/nope.json";
  std::string message = ErrorText([&] { Config::Load(flags, {}); }, ErrorCode::kInvalidArgument);
  EXPECT_THAT(message, HasSubstr(*flags.config_path));
  EXPECT_THAT(message, HasSubstr("does not exist"));
  message = ErrorText(
      [&] {
        Config::Load({}, {{"WALG_CONFIG_PATH", dir.str()}});
      },
      ErrorCode::kInvalidArgument);
  EXPECT_THAT(message, HasSubstr("not a regular file"));
}

TEST(ConfigLoadTest, BrokenJsonNamesFileAndLineButNotTheText) {
  testing::TempDir dir;
  std::string path = dir.str() + "/walg.json";
  testing::WriteFile(path,
                     "{\n  \"WALG_FILE_PREFIX\": \"/x\",\n  \"AWS_SECRET_ACCESS_KEY\": "
                     "tru-secret-value\n}\n");
  SettingFlags flags;
  flags.config_path = path;
  std::string message = ErrorText([&] { Config::Load(flags, {}); }, ErrorCode::kInvalidArgument);
  EXPECT_THAT(message, HasSubstr(path));
  EXPECT_THAT(message, HasSubstr("invalid JSON at line 3"));
  EXPECT_THAT(message, Not(HasSubstr("secret-value")));
  EXPECT_THAT(message, Not(HasSubstr("tru-")));
}

TEST(ConfigLoadTest, BrokenYamlNamesFileAndLine) {
  testing::TempDir dir;
  std::string path = dir.str() + "/walg.yaml";
  testing::WriteFile(path, "WALG_FILE_PREFIX: /x\nPGPASSWORD: [unterminated-secret\n");
  SettingFlags flags;
  flags.config_path = path;
  std::string message = ErrorText([&] { Config::Load(flags, {}); }, ErrorCode::kInvalidArgument);
  EXPECT_THAT(message, HasSubstr(path));
  EXPECT_THAT(message, HasSubstr("invalid YAML at line"));
  EXPECT_THAT(message, Not(HasSubstr("unterminated-secret")));
}

TEST(ConfigLoadTest, BrokenDefaultFileIsAnErrorToo) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / ".walg.json", "{\"WALG_FILE_PREFIX\": ");
  std::string message = ErrorText(
      [&] {
        Config::Load({}, {{"HOME", dir.str()}});
      },
      ErrorCode::kInvalidArgument);
  EXPECT_THAT(message, HasSubstr(".walg.json"));
}

TEST(ConfigLoadTest, FileStructureErrors) {
  testing::TempDir dir;
  SettingFlags flags;
  flags.config_path = dir.str() + "/list.json";
  testing::WriteFile(*flags.config_path, "[1, 2]");
  EXPECT_THAT(ErrorText([&] { Config::Load(flags, {}); }, ErrorCode::kInvalidArgument),
              HasSubstr("expected a JSON object"));
  flags.config_path = dir.str() + "/nested.yaml";
  testing::WriteFile(*flags.config_path, "WALG_S3_PREFIX:\n  bucket: x\n");
  EXPECT_THAT(ErrorText([&] { Config::Load(flags, {}); }, ErrorCode::kInvalidArgument),
              HasSubstr("WALG_S3_PREFIX must be a string, number or boolean"));
  flags.config_path = dir.str() + "/nested.toml";
  testing::WriteFile(*flags.config_path, "[WALG_S3_PREFIX]\nbucket = 'x'\n");
  EXPECT_THAT(ErrorText([&] { Config::Load(flags, {}); }, ErrorCode::kInvalidArgument),
              HasSubstr("WALG_S3_PREFIX must be a string, number or boolean"));
}

TEST(ConfigLoadTest, FlagsOverrideTheFile) {
  testing::TempDir dir;
  std::vector<std::string> args = {"--config", dir.str() + "/c.json", "--walg-file-prefix=/flag",
                                   "backup-list"};
  testing::WriteFile(dir.path() / "c.json", R"({"WALG_FILE_PREFIX": "/file"})");
  SettingFlags flags = ExtractSettingFlags(args);
  Config config = Config::Load(flags, {{"WALG_FILE_PREFIX", "/env"}});
  EXPECT_EQ(config.Get("WALG_FILE_PREFIX"), "/flag");
  EXPECT_EQ(config.Source("WALG_FILE_PREFIX"), SettingSource::kFlag);
}

}  // namespace
}  // namespace walnut
