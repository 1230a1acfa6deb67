#include "config/settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"

namespace walnut {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Settings Load(const Environment& env) { return LoadSettings(Config({}, env)); }

std::string LoadError(const Environment& env, ErrorCode expected = ErrorCode::kInvalidArgument) {
  try {
    LoadSettings(Config({}, env));
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), expected) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "settings were accepted";
  return "";
}

TEST(SettingsTest, DefaultsMatchWalG) {
  Settings s = Load({});
  EXPECT_EQ(s.storage_sub_prefix, "");
  EXPECT_EQ(s.upload_concurrency, 16);
  EXPECT_EQ(s.download_concurrency, 10);
  EXPECT_EQ(s.upload_disk_concurrency, 1);
  EXPECT_EQ(s.upload_queue, 2);
  EXPECT_EQ(s.download_file_retries, 15);
  EXPECT_EQ(s.total_bg_uploaded_limit, 32);
  EXPECT_EQ(s.tar_size_threshold, (1u << 30) - 1);
  EXPECT_EQ(s.wal_segment_size, 16u << 20);
  EXPECT_EQ(s.stop_backup_timeout, std::nullopt);
  EXPECT_EQ(s.archive_wait_timeout, std::chrono::seconds(60));
  EXPECT_FALSE(s.delta_from_full);
  EXPECT_EQ(s.disk_rate_limit, std::nullopt);
  EXPECT_EQ(s.integrity_max_delayed_wals, 0u);
  EXPECT_TRUE(s.archive_check);
  EXPECT_EQ(s.daemon_wal_upload_timeout, std::chrono::seconds(60));
}

TEST(SettingsTest, DaemonUploadTimeoutIsAPositiveDuration) {
  EXPECT_EQ(Load({{"WALG_DAEMON_WAL_UPLOAD_TIMEOUT", "1m30s"}}).daemon_wal_upload_timeout,
            std::chrono::seconds(90));
  EXPECT_THAT(LoadError({{"WALG_DAEMON_WAL_UPLOAD_TIMEOUT", "0"}}),
              HasSubstr("WALG_DAEMON_WAL_UPLOAD_TIMEOUT: must be a positive duration"));
  EXPECT_THAT(LoadError({{"WALG_DAEMON_WAL_UPLOAD_TIMEOUT", "-1s"}}),
              HasSubstr("WALG_DAEMON_WAL_UPLOAD_TIMEOUT: invalid value '-1s'"));
}

TEST(SettingsTest, StoragePrefixIsTrimmed) {
  EXPECT_EQ(Load({{"WALG_STORAGE_PREFIX", "/sub/dir/"}}).storage_sub_prefix, "sub/dir");
}

TEST(SettingsTest, PgPortIsCheckedBeforeLibpqSeesIt) {
  EXPECT_EQ(Load({{"PGPORT", "5433"}}).pgdata, "");
  Load({{"PGPORT", "5432,5433"}});
  Load({{"PGPORT", ",5433"}});  // an empty item is libpq's default port
  EXPECT_THAT(LoadError({{"PGPORT", "abc"}}),
              HasSubstr("PGPORT: invalid value 'abc'; expected a port number from 1 to 65535"));
  EXPECT_THAT(LoadError({{"PGPORT", "70000"}}), HasSubstr("PGPORT"));
  EXPECT_THAT(LoadError({{"PGPORT", "5432,x"}}), HasSubstr("PGPORT"));
}

TEST(SettingsTest, OtherValues) {
  Settings s = Load({{"WALG_UPLOAD_CONCURRENCY", "3"},
                     {"UPLOAD_CONCURRENCY", "99"},  // alias loses to the canonical name
                     {"WALG_DOWNLOAD_CONCURRENCY", "1"},
                     {"WALG_PREFETCH_DIR", "/tmp/pf"},
                     {"PG_READY_RENAME", "true"},
                     {"WALG_DELTA_MAX_STEPS", "6"},
                     {"WALG_DELTA_ORIGIN", "LATEST_FULL"},
                     {"WALG_DISK_RATE_LIMIT", "100MiB"},
                     {"WALG_STOP_BACKUP_TIMEOUT", "2m"},
                     {"WALG_DELTA_FROM_NAME", "base_000000010000000000000002"},
                     {"WALG_DELTA_FROM_USER_DATA", "{\"k\": 1}"},
                     {"WALG_FETCH_TARGET_USER_DATA", "\"nightly\""},
                     {"WALNUT_ARCHIVE_WAIT_TIMEOUT", "5s"},
                     {"WALG_INTEGRITY_MAX_DELAYED_WALS", "3"},
                     {"WALNUT_ARCHIVE_CHECK", "false"},
                     {"WALG_PG_WAL_SIZE", "64"},
                     {"WALG_SENTINEL_USER_DATA", "{\"k\": [1, 2]}"},
                     {"PGDATA", "/var/lib/postgresql/data"}});
  EXPECT_EQ(s.upload_concurrency, 3);
  EXPECT_EQ(s.download_concurrency, 1);
  EXPECT_EQ(s.prefetch_dir, "/tmp/pf");
  EXPECT_TRUE(s.pg_ready_rename);
  EXPECT_EQ(s.delta_max_steps, 6);
  EXPECT_TRUE(s.delta_from_full);
  EXPECT_EQ(s.disk_rate_limit, 100u << 20);
  EXPECT_EQ(s.stop_backup_timeout, std::chrono::minutes(2));
  EXPECT_EQ(s.delta_from_name, "base_000000010000000000000002");
  EXPECT_EQ(s.delta_from_user_data, "{\"k\": 1}");
  EXPECT_EQ(s.fetch_target_user_data, "\"nightly\"");
  EXPECT_EQ(s.archive_wait_timeout, std::chrono::seconds(5));
  EXPECT_EQ(s.integrity_max_delayed_wals, 3u);
  EXPECT_FALSE(s.archive_check);
  EXPECT_EQ(s.wal_segment_size, 64u << 20);
  EXPECT_EQ(s.sentinel_user_data, "{\"k\": [1, 2]}");
  EXPECT_EQ(s.pgdata, "/var/lib/postgresql/data");

  EXPECT_THAT(LoadError({{"WALG_UPLOAD_CONCURRENCY", "0"}}),
              HasSubstr("WALG_UPLOAD_CONCURRENCY: invalid value '0'; expected an integer from 1"));
  EXPECT_THAT(LoadError({{"WALG_PG_WAL_SIZE", "24"}}), HasSubstr("power of 2"));
  EXPECT_THAT(LoadError({{"WALG_SENTINEL_USER_DATA", "{oops"}}), HasSubstr("expected JSON"));
  EXPECT_THAT(LoadError({{"WALG_DELTA_ORIGIN", "FIRST"}}),
              HasSubstr("accepted: LATEST, LATEST_FULL"));
  EXPECT_THAT(LoadError({{"WALG_STOP_BACKUP_TIMEOUT", "-5s"}}),
              HasSubstr("WALG_STOP_BACKUP_TIMEOUT"));
  EXPECT_THAT(LoadError({{"WALNUT_ARCHIVE_CHECK", "no"}}), HasSubstr("WALNUT_ARCHIVE_CHECK"));
}

}  // namespace
}  // namespace walnut
