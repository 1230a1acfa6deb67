// WALG_AZ_PREFIX and the AZURE_* settings as WAL-G reads them (pkg/storages/azure/configure.go),
// and AZURE_STORAGE_CONNECTION_STRING as the Azure SDKs read it.

#include "storage/azure/azure_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "config/config.h"
#include "config/settings.h"

namespace walnut::azure {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

AzureOptions Load(Environment env) {
  Config config({}, env);
  return AzureOptionsFromConfig(config, LoadSettings(config));
}

TEST(AzureSettingsTest, AccountAndKeyOnThePublicCloud) {
  AzureOptions o = Load({{"WALG_AZ_PREFIX", "azure://backups/pg/main/"},
                         {"AZURE_STORAGE_ACCOUNT", "acct"},
                         {"AZURE_STORAGE_ACCESS_KEY", "a2V5"}});
  EXPECT_EQ(o.container, "backups");
  EXPECT_EQ(o.root, "pg/main");
  EXPECT_EQ(o.endpoint, "https://acct.blob.core.windows.net");
  EXPECT_EQ(o.auth, AzureAuth::kSharedKey);
  EXPECT_EQ(o.access_key.Reveal(), "a2V5");
  EXPECT_EQ(o.credential_source, "AZURE_STORAGE_ACCESS_KEY");
  EXPECT_EQ(o.buffer_size, 8u << 20);
  EXPECT_EQ(o.max_buffers, 4u);
  EXPECT_EQ(o.try_timeout, std::chrono::minutes(5));
  EXPECT_EQ(o.retry.budget, std::chrono::seconds(30));
  EXPECT_EQ(o.api_version, "2021-08-06");
}

TEST(AzureSettingsTest, EnvironmentsMapToWalgsSuffixes) {
  EXPECT_EQ(EndpointSuffixForEnvironment("AzureUSGovernmentCloud"), "core.usgovcloudapi.net");
  EXPECT_EQ(EndpointSuffixForEnvironment("AzureChinaCloud"), "core.chinacloudapi.cn");
  EXPECT_EQ(EndpointSuffixForEnvironment("AzureGermanCloud"), "core.cloudapi.de");
  EXPECT_EQ(EndpointSuffixForEnvironment("AzurePublicCloud"), "core.windows.net");
  EXPECT_EQ(EndpointSuffixForEnvironment("Other"), "core.windows.net");
  EXPECT_EQ(Load({{"WALG_AZ_PREFIX", "azure://c1c"},
                  {"AZURE_STORAGE_ACCOUNT", "a"},
                  {"AZURE_STORAGE_SAS_TOKEN", "?sv=1&sig=2"},
                  {"AZURE_ENVIRONMENT_NAME", "AzureChinaCloud"}})
                .endpoint,
            "https://a.blob.core.chinacloudapi.cn");
  // The suffix wins over the environment.
  EXPECT_EQ(Load({{"WALG_AZ_PREFIX", "azure://c1c"},
                  {"AZURE_STORAGE_ACCOUNT", "a"},
                  {"AZURE_ENVIRONMENT_NAME", "AzureChinaCloud"},
                  {"AZURE_ENDPOINT_SUFFIX", "example.net"}})
                .endpoint,
            "https://a.blob.example.net");
}

TEST(AzureSettingsTest, SasTokenLosesItsQuestionMark) {
  AzureOptions o = Load({{"WALG_AZ_PREFIX", "azure://c1c"},
                         {"AZURE_STORAGE_ACCOUNT", "a"},
                         {"WALG_AZURE_STORAGE_SAS_TOKEN", "?sv=1&sig=2"}});
  EXPECT_EQ(o.auth, AzureAuth::kSas);
  EXPECT_EQ(o.sas_token.Reveal(), "sv=1&sig=2");
}

TEST(AzureSettingsTest, WithoutAKeyTheManagedIdentity) {
  AzureOptions o = Load({{"WALG_AZ_PREFIX", "azure://c1c"},
                         {"AZURE_STORAGE_ACCOUNT", "a"},
                         {"AZURE_CLIENT_ID", "id-1"},
                         {"AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9"}});
  EXPECT_EQ(o.auth, AzureAuth::kManagedIdentity);
  EXPECT_EQ(o.client_id, "id-1");
  EXPECT_EQ(o.imds_endpoint, "http://127.0.0.1:9");
}

TEST(AzureSettingsTest, TheConnectionStringFillsWhatTheSettingsLeave) {
  AzureOptions o =
      Load({{"WALG_AZ_PREFIX", "azure://c1c/x"},
            {"AZURE_STORAGE_CONNECTION_STRING",
             "DefaultEndpointsProtocol=http;AccountName=dev;AccountKey=a2V5;"
             "BlobEndpoint=http://127.0.0.1:10000/dev"}});
  EXPECT_EQ(o.account, "dev");
  EXPECT_EQ(o.endpoint, "http://127.0.0.1:10000/dev");
  EXPECT_EQ(o.access_key.Reveal(), "a2V5");
  EXPECT_EQ(o.credential_source, "AccountKey of AZURE_STORAGE_CONNECTION_STRING");
  // The settings win over its parts.
  AzureOptions p = Load({{"WALG_AZ_PREFIX", "azure://c1c"},
                         {"AZURE_STORAGE_ACCOUNT", "mine"},
                         {"AZURE_STORAGE_SAS_TOKEN", "sv=1"},
                         {"AZURE_STORAGE_CONNECTION_STRING",
                          "AccountName=dev;AccountKey=a2V5;EndpointSuffix=core.cloudapi.de"}});
  EXPECT_EQ(p.account, "mine");
  EXPECT_EQ(p.auth, AzureAuth::kSas);
  EXPECT_EQ(p.endpoint, "https://mine.blob.core.cloudapi.de");
}

TEST(AzureSettingsTest, TuningAndItsBounds) {
  AzureOptions o = Load({{"WALG_AZ_PREFIX", "azure://c1c"},
                         {"AZURE_STORAGE_ACCOUNT", "a"},
                         {"WALG_AZURE_BUFFER_SIZE", "1048576"},
                         {"AZURE_MAX_BUFFERS", "2"},
                         {"AZURE_TRY_TIMEOUT", "1"},
                         {"AZURE_BLOB_STORE_API_VERSION", "2023-11-03"},
                         {"WALNUT_STORAGE_RETRY_TIMEOUT", "5s"}});
  EXPECT_EQ(o.buffer_size, 1u << 20);
  EXPECT_EQ(o.max_buffers, 2u);
  EXPECT_EQ(o.try_timeout, std::chrono::minutes(1));
  EXPECT_EQ(o.api_version, "2023-11-03");
  EXPECT_EQ(o.retry.budget, std::chrono::seconds(5));
  EXPECT_THROW(Load({{"WALG_AZ_PREFIX", "azure://c1c"},
                     {"AZURE_STORAGE_ACCOUNT", "a"},
                     {"WALG_AZURE_MAX_BUFFERS", "0"}}),
               Error);
}

TEST(AzureSettingsTest, MissingAccountIsOneLineNamingIt) {
  try {
    Load({{"WALG_AZ_PREFIX", "azure://c1c"}, {"AZURE_STORAGE_ACCESS_KEY", "s3cr3t"}});
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.what(), HasSubstr("AZURE_STORAGE_ACCOUNT"));
    EXPECT_THAT(e.what(), Not(HasSubstr("s3cr3t")));
  }
}

}  // namespace
}  // namespace walnut::azure
