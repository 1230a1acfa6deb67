#include "config/setting_specs.h"

#include <set>

#include <gtest/gtest.h>

namespace walnut {
namespace {

TEST(SettingSpecsTest, NamesAndAliasesAreUniqueAndUpperCase) {
  std::set<std::string_view> seen;
  for (const SettingSpec& spec : AllSettingSpecs()) {
    EXPECT_FALSE(spec.description.empty()) << spec.name;
    for (std::string_view name : [&] {
           std::vector<std::string_view> all = {spec.name};
           all.insert(all.end(), spec.aliases.begin(), spec.aliases.end());
           return all;
         }()) {
      EXPECT_TRUE(seen.insert(name).second) << name << " listed twice";
      for (char c : name)
        EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') << name;
      EXPECT_EQ(FindSettingSpec(name), &spec) << name;
    }
    EXPECT_EQ(spec.kind == SettingKind::kEnum, !spec.accepted.empty()) << spec.name;
  }
}

TEST(SettingSpecsTest, WalGAliases) {
  EXPECT_EQ(FindSettingSpec("WALE_S3_PREFIX")->name, "WALG_S3_PREFIX");
  EXPECT_EQ(FindSettingSpec("S3_SSE")->name, "WALG_S3_SSE");
  EXPECT_EQ(FindSettingSpec("WALE_S3_SSE")->name, "WALG_S3_SSE");
  EXPECT_EQ(FindSettingSpec("S3_STORAGE_CLASS")->name, "WALG_S3_STORAGE_CLASS");
  EXPECT_EQ(FindSettingSpec("AWS_ACCESS_KEY")->name, "AWS_ACCESS_KEY_ID");
  EXPECT_EQ(FindSettingSpec("AWS_SECRET_KEY")->name, "AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(FindSettingSpec("WALE_FILE_PREFIX")->name, "WALG_FILE_PREFIX");
  EXPECT_EQ(FindSettingSpec("WALE_GPG_KEY_ID")->name, "WALG_GPG_KEY_ID");
  EXPECT_EQ(FindSettingSpec("walg_s3_prefix"), nullptr);  // exact spelling; files upper-case keys
  EXPECT_EQ(FindSettingSpec("WALG_NO_SUCH"), nullptr);
}

TEST(SettingSpecsTest, SecretsAreMarked) {
  for (std::string_view name :
       {"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "WALG_LIBSODIUM_KEY", "WALG_PGP_KEY",
        "WALG_PGP_KEY_PASSPHRASE", "PGPASSWORD", "SSH_PASSWORD", "AZURE_STORAGE_ACCESS_KEY",
        "AZURE_STORAGE_SAS_TOKEN", "WALG_S3_SSE_C", "GCS_ENCRYPTION_KEY", "OS_PASSWORD",
        "OSS_ACCESS_KEY_SECRET"}) {
    ASSERT_NE(FindSettingSpec(name), nullptr) << name;
    EXPECT_TRUE(FindSettingSpec(name)->secret) << name;
  }
  EXPECT_FALSE(FindSettingSpec("WALG_S3_PREFIX")->secret);
}

TEST(SettingSpecsTest, Flags) {
  EXPECT_EQ(ToFlagName("WALG_S3_PREFIX"), "walg-s3-prefix");
  EXPECT_EQ(FindSettingSpecByFlag("pghost").spec->name, "PGHOST");
  FlagMatch alias = FindSettingSpecByFlag("wale-s3-prefix");
  EXPECT_EQ(alias.spec->name, "WALG_S3_PREFIX");
  EXPECT_EQ(alias.name, "WALE_S3_PREFIX");
  EXPECT_EQ(FindSettingSpecByFlag("walg-nope").spec, nullptr);
  EXPECT_EQ(FindSettingSpecByFlag("WALG-S3-PREFIX").spec, nullptr);
}

TEST(SettingSpecsTest, ReferenceTableSettingsAreKnown) {
  // Every plain WAL-G/PostgreSQL setting WAL-G's internal/config/config.go allows.
  for (std::string_view name : {"WALG_S3_PREFIX",
                                "WALG_FILE_PREFIX",
                                "WALG_GS_PREFIX",
                                "WALG_AZ_PREFIX",
                                "WALG_SWIFT_PREFIX",
                                "WALG_SSH_PREFIX",
                                "WALG_OSS_PREFIX",
                                "WALG_STORAGE_PREFIX",
                                "GOOGLE_APPLICATION_CREDENTIALS",
                                "GCS_CONTEXT_TIMEOUT",
                                "GCS_NORMALIZE_PREFIX",
                                "GCS_ENCRYPTION_KEY",
                                "GCS_MAX_CHUNK_SIZE",
                                "GCS_MAX_RETRIES",
                                "AZURE_STORAGE_ACCOUNT",
                                "AZURE_STORAGE_ACCESS_KEY",
                                "AZURE_STORAGE_SAS_TOKEN",
                                "AZURE_ENVIRONMENT_NAME",
                                "WALG_AZURE_BUFFER_SIZE",
                                "WALG_AZURE_MAX_BUFFERS",
                                "OS_AUTH_URL",
                                "OS_USERNAME",
                                "OS_PASSWORD",
                                "OS_TENANT_NAME",
                                "OS_REGION_NAME",
                                "SSH_PORT",
                                "SSH_USERNAME",
                                "SSH_PASSWORD",
                                "SSH_PRIVATE_KEY_PATH",
                                "AWS_ACCESS_KEY_ID",
                                "AWS_SECRET_ACCESS_KEY",
                                "AWS_SESSION_TOKEN",
                                "AWS_ACCESS_KEY",
                                "AWS_SECRET_KEY",
                                "AWS_PROFILE",
                                "AWS_SHARED_CREDENTIALS_FILE",
                                "AWS_CONFIG_FILE",
                                "AWS_ROLE_ARN",
                                "AWS_ROLE_SESSION_NAME",
                                "AWS_REGION",
                                "AWS_ENDPOINT",
                                "AWS_S3_FORCE_PATH_STYLE",
                                "AWS_DUAL_STACK",
                                "WALG_S3_STORAGE_CLASS",
                                "S3_STORAGE_CLASS",
                                "WALG_S3_SSE",
                                "WALG_S3_SSE_KMS_ID",
                                "WALG_S3_SSE_C",
                                "WALG_S3_CA_CERT_FILE",
                                "WALG_S3_MAX_PART_SIZE",
                                "WALG_S3_USE_LIST_OBJECTS_V1",
                                "WALG_S3_RANGE_BATCH_ENABLED",
                                "WALG_S3_RANGE_MAX_RETRIES",
                                "WALG_S3_MAX_RETRIES",
                                "S3_MIN_THROTTLING_RETRY_DELAY",
                                "S3_MAX_THROTTLING_RETRY_DELAY",
                                "S3_SKIP_VALIDATION",
                                "S3_ENDPOINT_SOURCE",
                                "S3_ENDPOINT_PORT",
                                "S3_ENDPOINT_PROTOCOL",
                                "S3_LOG_LEVEL",
                                "S3_REQUEST_ADDITIONAL_HEADERS",
                                "S3_RETENTION_PERIOD",
                                "S3_RETENTION_MODE",
                                "S3_DISABLE_100_CONTINUE",
                                "S3_ENABLE_VERSIONING",
                                "S3_DELETE_BATCH_SIZE",
                                "WALG_COMPRESSION_METHOD",
                                "WALG_ZSTD_LEVEL",
                                "WALG_LIBSODIUM_KEY",
                                "WALG_LIBSODIUM_KEY_PATH",
                                "WALG_LIBSODIUM_KEY_TRANSFORM",
                                "WALG_PGP_KEY",
                                "WALG_PGP_KEY_PATH",
                                "WALG_PGP_KEY_PASSPHRASE",
                                "WALG_GPG_KEY_ID",
                                "WALE_GPG_KEY_ID",
                                "WALG_ENVELOPE_PGP_KEY",
                                "WALG_ENVELOPE_PGP_KEY_PATH",
                                "WALG_ENVELOPE_PGP_YC_CSE_KMS_KEY_ID",
                                "WALG_ENVELOPE_PGP_YC_SERVICE_ACCOUNT_KEY_FILE",
                                "WALG_ENVELOPE_PGP_YC_ENDPOINT",
                                "WALG_ENVELOPE_CACHE_EXPIRATION",
                                "WALG_CSE_KMS_ID",
                                "WALG_CSE_KMS_REGION",
                                "YC_CSE_KMS_KEY_ID",
                                "YC_SERVICE_ACCOUNT_KEY_FILE",
                                "WALG_UPLOAD_CONCURRENCY",
                                "WALG_DOWNLOAD_CONCURRENCY",
                                "WALG_UPLOAD_DISK_CONCURRENCY",
                                "WALG_UPLOAD_QUEUE",
                                "WALG_DOWNLOAD_FILE_RETRIES",
                                "TOTAL_BG_UPLOADED_LIMIT",
                                "WALG_PREFETCH_DIR",
                                "WALG_DELTA_MAX_STEPS",
                                "WALG_DELTA_ORIGIN",
                                "WALG_DELTA_FROM_NAME",
                                "WALG_DELTA_FROM_USER_DATA",
                                "WALG_USE_WAL_DELTA",
                                "WALG_FORCE_WAL_DELTA",
                                "WALG_TAR_SIZE_THRESHOLD",
                                "WALG_TAR_DISABLE_FSYNC",
                                "WALG_DISK_RATE_LIMIT",
                                "WALG_NETWORK_RATE_LIMIT",
                                "WALG_PREVENT_WAL_OVERWRITE",
                                "WALG_UPLOAD_WAL_METADATA",
                                "WALG_VERIFY_PAGE_CHECKSUMS",
                                "WALG_STORE_ALL_CORRUPT_BLOCKS",
                                "WALG_USE_RATING_COMPOSER",
                                "WALG_USE_COPY_COMPOSER",
                                "WALG_USE_DATABASE_COMPOSER",
                                "WALG_WITHOUT_FILES_METADATA",
                                "WALG_USE_REVERSE_UNPACK",
                                "WALG_SKIP_REDUNDANT_TARS",
                                "WALG_FETCH_TARGET_USER_DATA",
                                "WALG_SENTINEL_USER_DATA",
                                "WALG_DISABLE_PARTIAL_RESTORE",
                                "WALG_PG_WAL_SIZE",
                                "WALG_PG_WAL_PAGE_SIZE",
                                "WALG_PG_BLOCK_SIZE",
                                "WALG_ALIVE_CHECK_INTERVAL",
                                "WALG_STOP_BACKUP_TIMEOUT",
                                "WALG_SLOTNAME",
                                "WALG_INTEGRITY_MAX_DELAYED_WALS",
                                "WALG_DIRECT_IO",
                                "WALG_DIRECT_IO_BLOCK_COUNT",
                                "PG_READY_RENAME",
                                "WALG_LOG_LEVEL",
                                "WALG_LOG_DESTINATION",
                                "WALG_STATSD_ADDRESS",
                                "WALG_STATSD_EXTRA_TAGS",
                                "HTTP_LISTEN",
                                "HTTP_EXPOSE_PPROF",
                                "HTTP_EXPOSE_EXPVAR",
                                "PROFILE_SAMPLING_RATIO",
                                "PROFILE_MODE",
                                "PROFILE_PATH",
                                "GOMAXPROCS",
                                "WALG_FAILOVER_STORAGES",
                                "WALG_FAILOVER_STORAGES_CHECK",
                                "WALG_FAILOVER_STORAGES_CHECK_TIMEOUT",
                                "WALG_FAILOVER_STORAGES_CHECK_SIZE",
                                "WALG_FAILOVER_STORAGES_CACHE_LIFETIME",
                                "WALG_TARGET_STORAGE",
                                "WALG_DAEMON_WAL_UPLOAD_TIMEOUT",
                                "PGDATA",
                                "PGHOST",
                                "PGPORT",
                                "PGUSER",
                                "PGPASSWORD",
                                "PGPASSFILE",
                                "PGDATABASE",
                                "PGSSLMODE",
                                "PGSSLKEY",
                                "PGSSLCERT",
                                "PGSSLROOTCERT",
                                "PGAPPNAME"}) {
    EXPECT_NE(FindSettingSpec(name), nullptr) << name;
  }
}

}  // namespace
}  // namespace walnut
