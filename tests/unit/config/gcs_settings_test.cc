// WALG_GS_PREFIX and the GCS_* settings as WAL-G reads them (pkg/storages/gcs/configure.go), and
// the endpoint overrides of Google's SDKs.

#include "storage/gcs/gcs_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/base64.h"
#include "common/error.h"
#include "config/config.h"
#include "config/settings.h"
#include "storage/gcs/gcs_credentials.h"
#include "support/test_util.h"

namespace walnut::gcs {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using walnut::testing::ExpectError;

class GcsSettingsTest : public ::testing::Test {
 protected:
  GcsOptions Load(Environment env) {
    Config config({}, env);
    return GcsOptionsFromConfig(config, LoadSettings(config));
  }
};

TEST_F(GcsSettingsTest, WalgDefaults) {
  GcsOptions o = Load({{"WALG_GS_PREFIX", "gs://bucket/path/to/archive/"}});
  EXPECT_EQ(o.bucket, "bucket");
  EXPECT_EQ(o.root, "path/to/archive/");
  EXPECT_EQ(o.endpoint, "https://storage.googleapis.com");
  EXPECT_EQ(o.metadata_endpoint, "http://metadata.google.internal");
  EXPECT_EQ(o.credentials_file, "");
  EXPECT_EQ(o.chunk_size, 50u << 20);
  EXPECT_EQ(o.max_attempts, 17);
  EXPECT_EQ(o.operation_timeout, std::chrono::hours(1));
  EXPECT_EQ(o.retry_budget, std::chrono::seconds(30));
  EXPECT_TRUE(o.encryption_key.empty());
  EXPECT_EQ(Load({{"WALG_GS_PREFIX", "gs://bucket"}}).root, "");
}

TEST_F(GcsSettingsTest, EverySettingAndSpelling) {
  GcsOptions o = Load({{"WALE_GS_PREFIX", "gs://b/x"},
                       {"GOOGLE_APPLICATION_CREDENTIALS", "/etc/walnut/key.json"},
                       {"WALG_GCS_CONTEXT_TIMEOUT", "60"},
                       {"GCS_MAX_CHUNK_SIZE", "1000000"},
                       {"GCS_MAX_RETRIES", "3"},
                       {"GCS_ENCRYPTION_KEY", "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="},
                       {"STORAGE_EMULATOR_HOST", "127.0.0.1:4443"},
                       {"GCE_METADATA_HOST", "169.254.169.254"},
                       {"WALNUT_STORAGE_RETRY_TIMEOUT", "5s"}});
  EXPECT_EQ(o.credentials_file, "/etc/walnut/key.json");
  EXPECT_EQ(o.operation_timeout, std::chrono::seconds(60));
  EXPECT_EQ(o.chunk_size, 786432u);  // rounded down to 3 x 256 KiB
  EXPECT_EQ(o.max_attempts, 4);
  EXPECT_EQ(o.retry_budget, std::chrono::seconds(5));
  EXPECT_EQ(o.encryption_key.Reveal(), std::string(32, 'A'));
  EXPECT_EQ(o.endpoint, "http://127.0.0.1:4443");
  EXPECT_EQ(o.metadata_endpoint, "http://169.254.169.254");
  EXPECT_EQ(Load({{"WALG_GS_PREFIX", "gs://b"}, {"STORAGE_EMULATOR_HOST", "https://gcs.test:9"}})
                .endpoint,
            "https://gcs.test:9");
}

TEST_F(GcsSettingsTest, WithoutNormalizationThePathIsKeptAsWritten) {
  GcsOptions o =
      Load({{"WALG_GS_PREFIX", "gs://b//wal-e//odd"}, {"GCS_NORMALIZE_PREFIX", "false"}});
  EXPECT_EQ(o.root, "/wal-e//odd/");
  EXPECT_EQ(Load({{"WALG_GS_PREFIX", "gs://b//wal-e//odd"}}).root, "wal-e/odd/");
}

TEST_F(GcsSettingsTest, BadValuesNameTheSettingAndNeverTheKey) {
  auto message = [&](Environment env) {
    env.emplace("WALG_GS_PREFIX", "gs://b/x");
    return std::string(ExpectError([&] { Load(env); }).what());
  };
  std::string key = message({{"GCS_ENCRYPTION_KEY", "c2hvcnQta2V5"}});
  EXPECT_THAT(key, HasSubstr("GCS_ENCRYPTION_KEY"));
  EXPECT_THAT(key, Not(HasSubstr("c2hvcnQta2V5")));
  EXPECT_THAT(message({{"GCS_MAX_CHUNK_SIZE", "1000"}}), HasSubstr("GCS_MAX_CHUNK_SIZE"));
  EXPECT_THAT(message({{"GCS_CONTEXT_TIMEOUT", "1h"}}), HasSubstr("GCS_CONTEXT_TIMEOUT"));
  EXPECT_THAT(message({{"STORAGE_EMULATOR_HOST", "http://h:1/path"}}),
              HasSubstr("STORAGE_EMULATOR_HOST"));
  EXPECT_THAT(std::string(ExpectError([&] {
                            Load({{"WALG_GS_PREFIX", "s3://b/x"}});
                          }).what()),
              HasSubstr("WALG_GS_PREFIX"));
}

TEST(GcsJwtTest, Base64UrlHasNoPaddingAndNoPlusOrSlash) {
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("{\"alg\":\"RS256\"}"), "eyJhbGciOiJSUzI1NiJ9");
}

TEST(GcsJwtTest, ABadKeyIsNamedWithoutItsText) {
  CredentialsFile account;
  account.client_email = "a@b";
  account.token_uri = "https://oauth2.googleapis.com/token";
  account.private_key = SecretString("-----BEGIN PRIVATE KEY-----\nnot a key\n");
  Error e = ExpectError(
      [&] { SignedJwtAssertion(account, "/k.json", std::chrono::system_clock::now()); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(e.what(), HasSubstr("/k.json"));
  EXPECT_THAT(e.what(), Not(HasSubstr("not a key")));
}

}  // namespace
}  // namespace walnut::gcs
