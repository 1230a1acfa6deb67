#include "config/setting_flags.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace walnut {
namespace {

using Args = std::vector<std::string>;

TEST(SettingFlagsTest, EqualsAndSpaceForms) {
  Args args = {"backup-push", "--walg-s3-prefix=s3://b/p", "/data", "--pghost", "/tmp", "-f"};
  SettingFlags flags = ExtractSettingFlags(args);
  EXPECT_EQ(args, (Args{"backup-push", "/data", "-f"}));
  EXPECT_EQ(flags.values.at("WALG_S3_PREFIX"), "s3://b/p");
  EXPECT_EQ(flags.values.at("PGHOST"), "/tmp");
  EXPECT_FALSE(flags.config_path);
}

TEST(SettingFlagsTest, ValuesMayContainEqualsAndBeEmpty) {
  Args args = {"--walg-sentinel-user-data={\"a\":\"b=c\"}", "--walg-storage-prefix="};
  SettingFlags flags = ExtractSettingFlags(args);
  EXPECT_TRUE(args.empty());
  EXPECT_EQ(flags.values.at("WALG_SENTINEL_USER_DATA"), "{\"a\":\"b=c\"}");
  EXPECT_EQ(flags.values.at("WALG_STORAGE_PREFIX"), "");
}

TEST(SettingFlagsTest, AliasesKeepTheirSpelling) {
  Args args = {"--wale-s3-prefix", "s3://old/x", "wal-push", "p"};
  SettingFlags flags = ExtractSettingFlags(args);
  EXPECT_EQ(args, (Args{"wal-push", "p"}));
  EXPECT_EQ(flags.values.at("WALE_S3_PREFIX"), "s3://old/x");
}

TEST(SettingFlagsTest, BareBooleanMeansTrue) {
  Args args = {"wal-push", "--pg-ready-rename", "pg_wal/000000010000000000000001"};
  SettingFlags flags = ExtractSettingFlags(args);
  EXPECT_EQ(args, (Args{"wal-push", "pg_wal/000000010000000000000001"}));
  EXPECT_EQ(flags.values.at("PG_READY_RENAME"), "true");
}

TEST(SettingFlagsTest, BooleanTakesAFollowingBoolWord) {
  Args args = {"--pg-ready-rename", "false", "--walg-prevent-wal-overwrite=1", "x"};
  SettingFlags flags = ExtractSettingFlags(args);
  EXPECT_EQ(args, (Args{"x"}));
  EXPECT_EQ(flags.values.at("PG_READY_RENAME"), "false");
  EXPECT_EQ(flags.values.at("WALG_PREVENT_WAL_OVERWRITE"), "1");
}

TEST(SettingFlagsTest, ConfigFlagInBothForms) {
  Args args = {"--config", "/etc/walg.json", "backup-list"};
  EXPECT_EQ(ExtractSettingFlags(args).config_path, "/etc/walg.json");
  EXPECT_EQ(args, (Args{"backup-list"}));
  args = {"backup-list", "--config=/etc/walg.yaml"};
  EXPECT_EQ(ExtractSettingFlags(args).config_path, "/etc/walg.yaml");
  EXPECT_EQ(args, (Args{"backup-list"}));
}

TEST(SettingFlagsTest, UnknownAndCommandFlagsAreLeftInOrder) {
  Args args = {"backup-fetch",
               "--walg-no-such-thing=1",
               "--turbo",
               "--target-storage",
               "x",
               "-p",
               "--json",
               "/dest",
               "LATEST"};
  Args before = args;
  SettingFlags flags = ExtractSettingFlags(args);
  EXPECT_EQ(args, before);
  EXPECT_TRUE(flags.values.empty());
}

TEST(SettingFlagsTest, LastOccurrenceWins) {
  Args args = {"--walg-upload-concurrency=2", "--walg-upload-concurrency", "5"};
  EXPECT_EQ(ExtractSettingFlags(args).values.at("WALG_UPLOAD_CONCURRENCY"), "5");
}

TEST(SettingFlagsTest, NothingAfterDoubleDashIsTouched) {
  Args args = {"st", "put", "--", "--walg-s3-prefix=x", "--config"};
  SettingFlags flags = ExtractSettingFlags(args);
  EXPECT_EQ(args, (Args{"st", "put", "--", "--walg-s3-prefix=x", "--config"}));
  EXPECT_TRUE(flags.values.empty());
}

TEST(SettingFlagsTest, MissingValueIsAnError) {
  for (Args args : {Args{"--walg-s3-prefix"}, Args{"--config"}, Args{"--pghost", "--"}}) {
    try {
      ExtractSettingFlags(args);
      ADD_FAILURE() << args[0] << " without a value was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find(args[0]), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace walnut
