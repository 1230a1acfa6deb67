#include "config/settings_listing.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/setting_specs.h"

namespace walnut {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const SettingListing& Find(const std::vector<SettingListing>& listing, std::string_view name) {
  for (const SettingListing& item : listing) {
    if (item.name == name) return item;
  }
  throw std::runtime_error("not listed: " + std::string(name));
}

TEST(SettingsListingTest, ListsEverySettingWithFlagValueAndSource) {
  ConfigFileValues file;
  file.path = "/etc/walg.json";
  file.values = {{"WALG_COMPRESSION_METHOD", "zstd"}};
  Config config({{"PGHOST", "/run/pg"}}, {{"WALE_S3_PREFIX", "s3://b/p"}}, file);
  std::vector<SettingListing> listing = ListSettings(config);
  EXPECT_EQ(listing.size(), AllSettingSpecs().size());

  const SettingListing& prefix = Find(listing, "WALG_S3_PREFIX");
  EXPECT_EQ(prefix.flag, "--walg-s3-prefix");
  EXPECT_EQ(prefix.value, "s3://b/p");
  EXPECT_EQ(prefix.source, SettingSource::kEnvironment);
  EXPECT_FALSE(prefix.description.empty());
  EXPECT_EQ(Find(listing, "PGHOST").source, SettingSource::kFlag);
  EXPECT_EQ(Find(listing, "WALG_COMPRESSION_METHOD").value, "zstd");
  EXPECT_EQ(Find(listing, "WALG_COMPRESSION_METHOD").source, SettingSource::kFile);
  EXPECT_EQ(Find(listing, "WALG_UPLOAD_CONCURRENCY").value, "16");
  EXPECT_EQ(Find(listing, "WALG_UPLOAD_CONCURRENCY").source, SettingSource::kDefault);
  EXPECT_EQ(Find(listing, "WALG_FILE_PREFIX").value, "");
  EXPECT_EQ(Find(listing, "WALG_FILE_PREFIX").source, SettingSource::kUnset);
}

TEST(SettingsListingTest, SecretsAreMaskedEverywhere) {
  // One distinct value per secret setting, given through each source.
  Config::Values flags;
  Environment env;
  ConfigFileValues file;
  file.path = "/etc/walg.json";
  std::vector<std::string> secrets;
  int i = 0;
  for (const SettingSpec& spec : AllSettingSpecs()) {
    if (!spec.secret) continue;
    std::string value = "s3cr3t-value-" + std::to_string(i);
    secrets.push_back(value);
    switch (i++ % 3) {
      case 0:
        flags[std::string(spec.name)] = value;
        break;
      case 1:
        env[std::string(spec.name)] = value;
        break;
      default:
        file.values[std::string(spec.name)] = value;
        break;
    }
  }
  ASSERT_GE(secrets.size(), 10u);
  Config config(flags, env, file);
  std::string all;
  for (const SettingListing& item : ListSettings(config)) {
    all += item.name + " " + item.flag + " " + item.value + " " + item.description + "\n";
  }
  for (const std::string& secret : secrets) EXPECT_THAT(all, Not(HasSubstr(secret)));
  for (std::string_view name : {"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "WALG_LIBSODIUM_KEY",
                                "WALG_PGP_KEY", "WALG_PGP_KEY_PASSPHRASE", "PGPASSWORD",
                                "SSH_PASSWORD", "AZURE_STORAGE_ACCESS_KEY", "WALG_S3_SSE_C"}) {
    auto listing = ListSettings(config);
    EXPECT_EQ(Find(listing, name).value, "********") << name;
  }
  // An unset secret shows nothing rather than a mask.
  EXPECT_EQ(Find(ListSettings(Config({}, {})), "PGPASSWORD").value, "");
}

}  // namespace
}  // namespace walnut
