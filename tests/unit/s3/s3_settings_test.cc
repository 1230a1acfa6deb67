#include "storage/s3/s3_settings.h"

#include <chrono>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "storage/s3/credentials/credentials_provider.h"
#include "storage/s3/s3_client.h"
#include "support/test_util.h"

namespace walnut::s3 {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// S3's settings, registered as `walnut` does at start-up, before any test looks one up.
[[maybe_unused]] const bool kRegistered = [] {
  RegisterSettingSpecs(S3SettingSpecs());
  return true;
}();

const Environment kKeys = {{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", "SECRET"}};

S3Options Load(Environment env, bool with_keys = true) {
  if (with_keys) env.insert(kKeys.begin(), kKeys.end());
  Config config({}, env);
  return S3OptionsFromConfig(config, LoadSettings(config));
}

std::string LoadError(Environment env, bool with_keys = true) {
  try {
    Load(std::move(env), with_keys);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "settings were accepted";
  return "";
}

TEST(S3SettingsTest, MapsEverySetting) {
  S3Options o = Load({{"WALG_S3_PREFIX", "s3://b/p/q/"},
                      {"AWS_ENDPOINT", "127.0.0.1:9000/"},
                      {"AWS_REGION", "eu-west-1"},
                      {"AWS_S3_FORCE_PATH_STYLE", "true"},
                      {"AWS_SESSION_TOKEN", "TOKEN"},
                      {"S3_STORAGE_CLASS", "standard_ia"},
                      {"S3_SSE", "aws:kms"},
                      {"WALG_S3_SSE_KMS_ID", "key-1"},
                      {"WALG_S3_CA_CERT_FILE", "/ca.pem"},
                      {"WALG_S3_MAX_PART_SIZE", "64MiB"},
                      {"WALG_S3_MAX_RETRIES", "3"},
                      {"WALNUT_STORAGE_RETRY_TIMEOUT", "1m30s"},
                      {"S3_DELETE_BATCH_SIZE", "100"}});
  EXPECT_EQ(o.bucket, "b");
  EXPECT_EQ(o.root, "p/q");
  EXPECT_EQ(o.endpoint, "https://127.0.0.1:9000");
  EXPECT_EQ(o.region, "eu-west-1");
  EXPECT_TRUE(o.force_path_style);
  EXPECT_EQ(o.access_key_id, "AKID");
  EXPECT_EQ(o.secret_access_key.Reveal(), "SECRET");
  EXPECT_EQ(o.session_token.Reveal(), "TOKEN");
  EXPECT_EQ(o.storage_class, "STANDARD_IA");
  EXPECT_EQ(o.sse, "aws:kms");
  EXPECT_EQ(o.sse_kms_id, "key-1");
  EXPECT_EQ(o.ca_cert_file, "/ca.pem");
  EXPECT_EQ(o.max_part_size, 64u << 20);
  EXPECT_EQ(o.retry.max_attempts, 4);
  EXPECT_EQ(o.retry.budget, std::chrono::seconds(90));
  EXPECT_EQ(o.delete_batch_size, 100u);
}

TEST(S3SettingsTest, Defaults) {
  S3Options d = Load({{"WALG_S3_PREFIX", "s3://b"}, {"AWS_ENDPOINT", "HTTP://minio:9000"}});
  EXPECT_EQ(d.root, "");
  EXPECT_EQ(d.endpoint, "http://minio:9000");
  EXPECT_EQ(d.region, "us-east-1");
  EXPECT_FALSE(d.force_path_style);
  EXPECT_EQ(d.storage_class, "STANDARD");
  EXPECT_EQ(d.max_part_size, 8u << 20);
  EXPECT_EQ(d.retry.max_attempts, 16);
  EXPECT_EQ(d.retry.budget, std::chrono::seconds(30));
  EXPECT_EQ(d.upload_concurrency, 3u);  // 3 parts in flight + 1 filling = 32 MiB
  EXPECT_EQ(d.delete_batch_size, 1000u);
  EXPECT_EQ(d.ca_cert_file, "");
}

TEST(S3SettingsTest, RegionFallsBackToAwsDefaultRegion) {
  EXPECT_EQ(Load({{"WALG_S3_PREFIX", "s3://b"}, {"AWS_DEFAULT_REGION", "ap-south-1"}}).region,
            "ap-south-1");
  EXPECT_EQ(Load({{"WALG_S3_PREFIX", "s3://b"},
                  {"AWS_DEFAULT_REGION", "ap-south-1"},
                  {"AWS_REGION", "eu-north-1"}})
                .region,
            "eu-north-1");
}

TEST(S3SettingsTest, DualStackAndCaBundle) {
  S3Options o = Load({{"WALG_S3_PREFIX", "s3://b"},
                      {"AWS_REGION", "eu-west-1"},
                      {"AWS_DUAL_STACK", "true"},
                      {"AWS_CA_BUNDLE", "/etc/ssl/bundle.pem"}});
  EXPECT_EQ(o.endpoint, "");
  EXPECT_TRUE(o.dual_stack);
  EXPECT_EQ(S3Client(o).EndpointUrl(), "https://s3.dualstack.eu-west-1.amazonaws.com");
  EXPECT_EQ(o.ca_cert_file, "/etc/ssl/bundle.pem");
  // An explicit endpoint wins over dual-stack; WALG_S3_CA_CERT_FILE over AWS_CA_BUNDLE.
  S3Options e = Load({{"WALG_S3_PREFIX", "s3://b"},
                      {"AWS_ENDPOINT", "http://h:1"},
                      {"AWS_DUAL_STACK", "true"},
                      {"WALG_S3_CA_CERT_FILE", "/a.pem"},
                      {"AWS_CA_BUNDLE", "/b.pem"}});
  EXPECT_EQ(e.endpoint, "http://h:1");
  EXPECT_EQ(S3Client(e).EndpointUrl(), "http://h:1");
  EXPECT_EQ(e.ca_cert_file, "/a.pem");
}

TEST(S3SettingsTest, PartsInFlightAreBoundedByConcurrencyAndByTheBufferBudget) {
  EXPECT_EQ(PartsInFlight(16, 8u << 20), 3u);  // 3 in flight + 1 filling = 32 MiB
  EXPECT_EQ(PartsInFlight(2, 8u << 20), 2u);
  EXPECT_EQ(PartsInFlight(16, 5u << 20), 5u);
  EXPECT_EQ(PartsInFlight(16, 100u << 20), 1u);  // bigger than the budget: still one
}

TEST(S3SettingsTest, BadValuesNameTheSetting) {
  Environment base = {{"WALG_S3_PREFIX", "s3://b"}};
  auto with = [&](Environment extra) {
    extra.insert(base.begin(), base.end());
    return extra;
  };
  EXPECT_THAT(LoadError(with({{"AWS_ENDPOINT", "ftp://x"}})), HasSubstr("http or https"));
  EXPECT_THAT(LoadError(with({{"AWS_ENDPOINT", "http://"}})),
              HasSubstr("AWS_ENDPOINT: invalid value 'http://'"));
  EXPECT_THAT(LoadError(with({{"AWS_ENDPOINT", "http://host:port"}})),
              HasSubstr("AWS_ENDPOINT: invalid value 'http://host:port'"));
  EXPECT_THAT(LoadError(with({{"WALG_S3_SSE", "aes"}})),
              HasSubstr("accepted: AES256, aws:kms, aws:kms:dsse"));
  EXPECT_THAT(LoadError(with({{"WALG_S3_SSE", "aws:kms"}})), HasSubstr("WALG_S3_SSE_KMS_ID"));
  EXPECT_EQ(Load(with({{"WALG_S3_SSE", "aws:kms:dsse"}, {"WALG_S3_SSE_KMS_ID", "k"}})).sse,
            "aws:kms:dsse");
  EXPECT_THAT(LoadError(with({{"WALG_S3_SSE_KMS_ID", "k"}})), HasSubstr("not aws:kms"));
  EXPECT_THAT(LoadError(with({{"WALG_S3_MAX_PART_SIZE", "1MiB"}})),
              HasSubstr("WALG_S3_MAX_PART_SIZE"));
  EXPECT_THAT(LoadError(with({{"WALG_S3_STORAGE_CLASS", "cold storage"}})),
              HasSubstr("storage class"));
  EXPECT_THAT(LoadError(with({{"S3_DELETE_BATCH_SIZE", "1001"}})),
              HasSubstr("S3_DELETE_BATCH_SIZE"));
  EXPECT_THAT(LoadError(with({{"WALNUT_STORAGE_RETRY_TIMEOUT", "0s"}})),
              HasSubstr("WALNUT_STORAGE_RETRY_TIMEOUT"));
  EXPECT_THAT(LoadError(with({{"WALNUT_STORAGE_RETRY_TIMEOUT", "soon"}})),
              HasSubstr("WALNUT_STORAGE_RETRY_TIMEOUT"));
  EXPECT_THAT(LoadError({{"WALE_S3_PREFIX", "bucket/x"}}), HasSubstr("WALE_S3_PREFIX: invalid"));
}

TEST(S3SettingsTest, CredentialsComeInPairsAndNeverAppearInErrors) {
  Environment base = {{"WALG_S3_PREFIX", "s3://b"}};
  auto with = [&](Environment extra) {
    extra.insert(base.begin(), base.end());
    return extra;
  };
  EXPECT_THAT(LoadError(with({{"AWS_ACCESS_KEY_ID", "AKID"}}), false),
              HasSubstr("AWS_ACCESS_KEY_ID: given without AWS_SECRET_ACCESS_KEY"));
  const std::string secret = "wJalrXUtnFEMI-secret";
  std::string only_secret = LoadError(with({{"AWS_SECRET_ACCESS_KEY", secret}}), false);
  EXPECT_THAT(only_secret, HasSubstr("AWS_SECRET_ACCESS_KEY: given without AWS_ACCESS_KEY_ID"));
  EXPECT_THAT(only_secret, Not(HasSubstr(secret)));
  EXPECT_THAT(LoadError(with({{"AWS_SESSION_TOKEN", "t0ken"}}), false),
              HasSubstr("AWS_SESSION_TOKEN: given without"));
}

TEST(S3SettingsTest, NoCredentialsIsAnErrorUnlessAnonymousIsAsked) {
  // The chain is resolved when the storage opens (first use of the provider).
  S3Options unresolved = Load({{"WALG_S3_PREFIX", "s3://b"},
                               {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"},
                               {"AWS_CONFIG_FILE", "/nonexistent/config"},
                               {"AWS_EC2_METADATA_DISABLED", "true"}},
                              /*with_keys=*/false);
  Error e = testing::ExpectError([&] { unresolved.credentials->Current(); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  std::string none = e.what();
  EXPECT_THAT(none, HasSubstr("no S3 credentials found; tried: environment"));
  EXPECT_THAT(none, HasSubstr("AWS_ACCESS_KEY_ID"));
  EXPECT_THAT(none, HasSubstr("/nonexistent/credentials (missing)"));
  EXPECT_THAT(none, HasSubstr("WALNUT_S3_ANONYMOUS=true"));
  S3Options anonymous =
      Load({{"WALG_S3_PREFIX", "s3://b"}, {"WALNUT_S3_ANONYMOUS", "true"}}, false);
  EXPECT_EQ(anonymous.access_key_id, "");
  EXPECT_THAT(LoadError({{"WALG_S3_PREFIX", "s3://b"}, {"WALNUT_S3_ANONYMOUS", "true"}}),
              HasSubstr("WALNUT_S3_ANONYMOUS: is true, but AWS_ACCESS_KEY_ID is set too"));
}

TEST(S3SettingsTest, InstanceMetadataEndpointMode) {
  // What the chain would ask, seen in its error: no other source, the token request refused.
  auto tried = [](Environment env) {
    env.insert({{"WALG_S3_PREFIX", "s3://b"},
                {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"},
                {"AWS_CONFIG_FILE", "/nonexistent/config"}});
    S3Options o = Load(std::move(env), /*with_keys=*/false);
    return std::string(testing::ExpectError([&] { o.credentials->Current(); }).what());
  };
  EXPECT_THAT(tried({{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ipv6"},
                     {"AWS_EC2_METADATA_V1_DISABLED", "true"}}),
              HasSubstr("EC2 instance metadata (IMDSv2) at http://[fd00:ec2::254]: "));
  // An explicit endpoint wins over the mode, as in the SDKs.
  EXPECT_THAT(tried({{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"},
                     {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1"},
                     {"AWS_EC2_METADATA_V1_DISABLED", "true"}}),
              HasSubstr("EC2 instance metadata (IMDSv2) at http://127.0.0.1:1: "));
  EXPECT_THAT(
      LoadError({{"WALG_S3_PREFIX", "s3://b"}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv5"}}),
      HasSubstr("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"));
}

}  // namespace
}  // namespace walnut::s3

namespace walnut::s3 {
namespace {

TEST(S3SettingsLockTest, RetentionVersioningAndCustomerKeyAreRead) {
  S3Options o = Load({{"WALG_S3_PREFIX", "s3://b"},
                      {"S3_RETENTION_PERIOD", "30"},
                      {"S3_RETENTION_MODE", "compliance"},
                      {"S3_ENABLE_VERSIONING", "enabled"},
                      {"WALG_S3_SSE_C", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlBQkNERUY="}});
  EXPECT_EQ(o.retention_days, 30);
  EXPECT_EQ(o.retention_mode, "COMPLIANCE");
  EXPECT_EQ(o.versioning, S3Options::Versioning::kEnabled);
  EXPECT_EQ(o.sse_customer_key.Reveal(), "0123456789abcdef0123456789ABCDEF");
  S3Options defaults = Load({{"WALG_S3_PREFIX", "s3://b"}});
  EXPECT_EQ(defaults.retention_days, -1);
  EXPECT_EQ(defaults.versioning, S3Options::Versioning::kDetect);
  EXPECT_TRUE(defaults.sse_customer_key.empty());
  EXPECT_EQ(Load({{"WALG_S3_PREFIX", "s3://b"}, {"S3_ENABLE_VERSIONING", "false"}}).versioning,
            S3Options::Versioning::kDisabled);
}

TEST(S3SettingsLockTest, BadValuesGetOneLineNamingTheSettingAndNeverTheKey) {
  EXPECT_THAT(LoadError({{"WALG_S3_PREFIX", "s3://b"}, {"S3_RETENTION_PERIOD", "0"}}),
              HasSubstr("S3_RETENTION_PERIOD"));
  EXPECT_THAT(LoadError({{"WALG_S3_PREFIX", "s3://b"}, {"S3_RETENTION_PERIOD", "ten"}}),
              HasSubstr("S3_RETENTION_PERIOD"));
  EXPECT_THAT(LoadError({{"WALG_S3_PREFIX", "s3://b"},
                         {"S3_RETENTION_PERIOD", "3"},
                         {"S3_RETENTION_MODE", "LEGAL"}}),
              HasSubstr("S3_RETENTION_MODE"));
  EXPECT_THAT(LoadError({{"WALG_S3_PREFIX", "s3://b"}, {"S3_RETENTION_MODE", "COMPLIANCE"}}),
              HasSubstr("S3_RETENTION_PERIOD is not"));
  EXPECT_THAT(LoadError({{"WALG_S3_PREFIX", "s3://b"}, {"S3_ENABLE_VERSIONING", "maybe"}}),
              HasSubstr("S3_ENABLE_VERSIONING"));
  const std::string short_key = "not-a-key-of-the-right-size";
  std::string error = LoadError({{"WALG_S3_PREFIX", "s3://b"}, {"WALG_S3_SSE_C", short_key}});
  EXPECT_THAT(error, HasSubstr("WALG_S3_SSE_C"));
  EXPECT_THAT(error, Not(HasSubstr(short_key)));
  EXPECT_THAT(LoadError({{"WALG_S3_PREFIX", "s3://b"},
                         {"WALG_S3_SSE", "aws:kms"},
                         {"WALG_S3_SSE_KMS_ID", "k"},
                         {"WALG_S3_SSE_C", "0123456789abcdef0123456789ABCDEF"}}),
              HasSubstr("SSE-C needs AES256"));
}

}  // namespace
}  // namespace walnut::s3
