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
  Settings s = Load({{"WALG_FILE_PREFIX", "/b"}});
  EXPECT_EQ(s.storage.type, StorageType::kFile);
  EXPECT_EQ(s.storage.root, "/b");
  EXPECT_EQ(s.compression_method, "lz4");
  EXPECT_EQ(s.zstd_level, std::nullopt);
  EXPECT_EQ(s.encryption.type, EncryptionType::kNone);
  EXPECT_EQ(s.upload_concurrency, 16);
  EXPECT_EQ(s.download_concurrency, 10);
  EXPECT_EQ(s.upload_disk_concurrency, 1);
  EXPECT_EQ(s.upload_queue, 2);
  EXPECT_EQ(s.download_file_retries, 15);
  EXPECT_EQ(s.total_bg_uploaded_limit, 32);
  EXPECT_EQ(s.tar_size_threshold, (1u << 30) - 1);
  EXPECT_EQ(s.wal_segment_size, 16u << 20);
  EXPECT_EQ(s.alive_check_interval, std::chrono::minutes(1));
  EXPECT_EQ(s.stop_backup_timeout, std::nullopt);
  EXPECT_EQ(s.upload_wal_metadata, "NOMETADATA");
  EXPECT_EQ(s.log_level, "NORMAL");
  EXPECT_FALSE(s.delta_from_full);
  EXPECT_EQ(s.disk_rate_limit, std::nullopt);
  EXPECT_TRUE(s.archive_check);
}

TEST(SettingsTest, NoStorageIsAnError) {
  EXPECT_EQ(LoadError({}),
            "no storage configured: set WALG_FILE_PREFIX (a local directory) or "
            "WALG_S3_PREFIX (s3://bucket/path)");
}

TEST(SettingsTest, StorageSelectionFollowsWalGOrder) {
  // S3 comes before FILE in WAL-G's adapter list.
  Settings s = Load({{"WALG_FILE_PREFIX", "/b"}, {"WALG_S3_PREFIX", "s3://bucket/a/b/"}});
  EXPECT_EQ(s.storage.type, StorageType::kS3);
  EXPECT_EQ(s.storage.bucket, "bucket");
  EXPECT_EQ(s.storage.root, "a/b");
  EXPECT_EQ(s.storage.prefix_setting, "WALG_S3_PREFIX");
  // OSS comes first of all, and Walnut cannot write there: refuse rather than pick S3.
  std::string oss = LoadError({{"WALG_OSS_PREFIX", "oss://x"}, {"WALG_S3_PREFIX", "s3://b"}},
                              ErrorCode::kUnsupported);
  EXPECT_THAT(oss, HasSubstr("WALG_OSS_PREFIX"));
  EXPECT_THAT(oss, HasSubstr("not supported"));
  // GS, AZ, SWIFT, SSH come after FILE.
  EXPECT_EQ(Load({{"WALG_FILE_PREFIX", "/b"}, {"WALG_AZ_PREFIX", "azure://c"}}).storage.type,
            StorageType::kFile);
  EXPECT_THAT(LoadError({{"WALG_SSH_PREFIX", "ssh://h/p"}}, ErrorCode::kUnsupported),
              HasSubstr("WALG_SSH_PREFIX: SSH storage is not supported"));
}

TEST(SettingsTest, WaleS3PrefixAndStoragePrefix) {
  Settings s = Load({{"WALE_S3_PREFIX", "s3://bucket"}, {"WALG_STORAGE_PREFIX", "/sub/dir/"}});
  EXPECT_EQ(s.storage.type, StorageType::kS3);
  EXPECT_EQ(s.storage.prefix_setting, "WALE_S3_PREFIX");
  EXPECT_EQ(s.storage.root, "");
  EXPECT_EQ(s.storage.sub_prefix, "sub/dir");
  EXPECT_THAT(LoadError({{"WALE_S3_PREFIX", "bucket/x"}}), HasSubstr("WALE_S3_PREFIX: invalid"));
}

TEST(SettingsTest, FilePrefixStripsWaleLocalhost) {
  Settings s = Load({{"WALG_FILE_PREFIX", "file://localhost/srv/walg"}});
  EXPECT_EQ(s.storage.root, "/srv/walg");
}

TEST(SettingsTest, S3Options) {
  Settings s = Load({{"WALG_S3_PREFIX", "s3://b/p"},
                     {"AWS_ENDPOINT", "127.0.0.1:9000/"},
                     {"AWS_REGION", "eu-west-1"},
                     {"AWS_S3_FORCE_PATH_STYLE", "true"},
                     {"AWS_ACCESS_KEY", "AKID"},
                     {"AWS_SECRET_KEY", "SECRET"},
                     {"AWS_SESSION_TOKEN", "TOKEN"},
                     {"S3_STORAGE_CLASS", "standard_ia"},
                     {"S3_SSE", "aws:kms"},
                     {"WALG_S3_SSE_KMS_ID", "key-1"},
                     {"WALG_S3_CA_CERT_FILE", "/ca.pem"},
                     {"WALG_S3_MAX_PART_SIZE", "64MiB"}});
  EXPECT_EQ(s.s3.endpoint, "https://127.0.0.1:9000");
  EXPECT_EQ(s.s3.region, "eu-west-1");
  EXPECT_TRUE(s.s3.region_configured);
  EXPECT_TRUE(s.s3.force_path_style);
  EXPECT_EQ(s.s3.access_key_id, "AKID");
  EXPECT_EQ(s.s3.secret_access_key.Reveal(), "SECRET");
  EXPECT_EQ(s.s3.session_token.Reveal(), "TOKEN");
  EXPECT_EQ(s.s3.storage_class, "STANDARD_IA");
  EXPECT_EQ(s.s3.sse, "aws:kms");
  EXPECT_EQ(s.s3.sse_kms_key_id, "key-1");
  EXPECT_EQ(s.s3.ca_cert_file, "/ca.pem");
  EXPECT_EQ(s.s3.max_part_size, 64u << 20);

  Settings d = Load({{"WALG_S3_PREFIX", "s3://b"}, {"AWS_ENDPOINT", "HTTP://minio:9000"}});
  EXPECT_EQ(d.s3.endpoint, "http://minio:9000");
  EXPECT_EQ(d.s3.region, "us-east-1");
  EXPECT_FALSE(d.s3.region_configured);
  EXPECT_FALSE(d.s3.force_path_style);
  EXPECT_EQ(d.s3.storage_class, "STANDARD");
  EXPECT_EQ(d.s3.max_part_size, 8u << 20);
  EXPECT_EQ(d.s3.max_retries, 15);
}

TEST(SettingsTest, S3Validation) {
  Environment base = {{"WALG_S3_PREFIX", "s3://b"}};
  auto with = [&](Environment extra) {
    extra.insert(base.begin(), base.end());
    return extra;
  };
  EXPECT_THAT(LoadError(with({{"AWS_ENDPOINT", "ftp://x"}})), HasSubstr("http or https"));
  EXPECT_THAT(LoadError(with({{"WALG_S3_SSE", "aes"}})),
              HasSubstr("accepted: AES256, aws:kms, aws:kms:dsse"));
  EXPECT_THAT(LoadError(with({{"WALG_S3_SSE", "aws:kms"}})), HasSubstr("WALG_S3_SSE_KMS_ID"));
  EXPECT_THAT(LoadError(with({{"WALG_S3_SSE_KMS_ID", "k"}})), HasSubstr("not aws:kms"));
  EXPECT_THAT(LoadError(with({{"WALG_S3_SSE", "AES256"}, {"WALG_S3_SSE_C", "k"}})),
              HasSubstr("WALG_S3_SSE_C"));
  EXPECT_THAT(LoadError(with({{"WALG_S3_MAX_PART_SIZE", "1MiB"}})),
              HasSubstr("WALG_S3_MAX_PART_SIZE"));
  EXPECT_THAT(LoadError(with({{"WALG_S3_STORAGE_CLASS", "cold storage"}})),
              HasSubstr("storage class"));
  EXPECT_THAT(LoadError(with({{"AWS_ACCESS_KEY_ID", "AKID"}})),
              HasSubstr("AWS_ACCESS_KEY_ID: given without AWS_SECRET_ACCESS_KEY"));
  const std::string secret = "wJalrXUtnFEMI-secret";
  std::string only_secret = LoadError(with({{"AWS_SECRET_ACCESS_KEY", secret}}));
  EXPECT_THAT(only_secret, HasSubstr("AWS_SECRET_ACCESS_KEY: given without AWS_ACCESS_KEY_ID"));
  EXPECT_THAT(only_secret, Not(HasSubstr(secret)));
}

TEST(SettingsTest, CompressionAndZstdLevel) {
  EXPECT_EQ(
      Load({{"WALG_FILE_PREFIX", "/b"}, {"WALG_COMPRESSION_METHOD", "brotli"}}).compression_method,
      "brotli");
  Environment zstd = {{"WALG_FILE_PREFIX", "/b"}, {"WALG_COMPRESSION_METHOD", "zstd"}};
  for (auto [text, level] : std::vector<std::pair<std::string, int>>{
           {"fastest", 1}, {"default", 3}, {"better", 7}, {"best", 11}, {"19", 19}}) {
    Environment env = zstd;
    env["WALG_ZSTD_LEVEL"] = text;
    EXPECT_EQ(Load(env).zstd_level, level) << text;
  }
  Environment bad = zstd;
  bad["WALG_ZSTD_LEVEL"] = "23";
  EXPECT_THAT(LoadError(bad), HasSubstr("WALG_ZSTD_LEVEL: unknown value '23'; accepted: fastest"));
  EXPECT_THAT(LoadError({{"WALG_FILE_PREFIX", "/b"}, {"WALG_ZSTD_LEVEL", "best"}}),
              HasSubstr("WALG_COMPRESSION_METHOD is lz4"));
  EXPECT_EQ(LoadError({{"WALG_FILE_PREFIX", "/b"}, {"WALG_COMPRESSION_METHOD", "gzip"}}),
            "WALG_COMPRESSION_METHOD: unknown value 'gzip'; accepted: lz4, lzma, zstd, brotli, "
            "none");
}

TEST(SettingsTest, LibsodiumNeedsExactlyOneOfKeyAndPath) {
  const std::string key = "0123456789abcdef0123456789abcdef";
  Settings inline_key = Load({{"WALG_FILE_PREFIX", "/b"},
                              {"WALG_LIBSODIUM_KEY", key},
                              {"WALG_LIBSODIUM_KEY_TRANSFORM", "HEX"}});
  EXPECT_EQ(inline_key.encryption.type, EncryptionType::kLibsodium);
  EXPECT_EQ(inline_key.encryption.libsodium_key.Reveal(), key);
  EXPECT_EQ(inline_key.encryption.libsodium_key_transform, "hex");
  Settings path = Load({{"WALG_FILE_PREFIX", "/b"}, {"WALG_LIBSODIUM_KEY_PATH", "/k"}});
  EXPECT_EQ(path.encryption.libsodium_key_path, "/k");
  EXPECT_TRUE(path.encryption.libsodium_key.empty());

  std::string both = LoadError(
      {{"WALG_FILE_PREFIX", "/b"}, {"WALG_LIBSODIUM_KEY", key}, {"WALG_LIBSODIUM_KEY_PATH", "/k"}});
  EXPECT_THAT(both, HasSubstr("WALG_LIBSODIUM_KEY_PATH"));
  EXPECT_THAT(both, Not(HasSubstr(key)));
  EXPECT_THAT(LoadError({{"WALG_FILE_PREFIX", "/b"},
                         {"WALG_LIBSODIUM_KEY", key},
                         {"WALG_LIBSODIUM_KEY_TRANSFORM", "rot13"}}),
              HasSubstr("accepted: none, hex, base64"));
}

TEST(SettingsTest, PgpKeyUnescapesNewlinesAndRefusesAmbiguity) {
  Settings s = Load({{"WALG_FILE_PREFIX", "/b"},
                     {"WALG_PGP_KEY", "-----BEGIN-----\\nabc\\n-----END-----"},
                     {"WALG_PGP_KEY_PASSPHRASE", "pass"}});
  EXPECT_EQ(s.encryption.type, EncryptionType::kPgp);
  EXPECT_EQ(s.encryption.pgp_key.Reveal(), "-----BEGIN-----\nabc\n-----END-----");
  EXPECT_EQ(s.encryption.pgp_key_passphrase.Reveal(), "pass");
  EXPECT_THAT(LoadError({{"WALG_FILE_PREFIX", "/b"},
                         {"WALG_PGP_KEY_PATH", "/k.asc"},
                         {"WALG_LIBSODIUM_KEY", "0123456789abcdef0123456789"}}),
              HasSubstr("configure one encryption method"));
}

TEST(SettingsTest, UnsupportedEncryptionIsRefused) {
  std::string kms = LoadError({{"WALG_FILE_PREFIX", "/b"}, {"WALG_CSE_KMS_ID", "arn:x"}},
                              ErrorCode::kUnsupported);
  EXPECT_THAT(kms, HasSubstr("WALG_CSE_KMS_ID: AWS KMS client-side encryption is not supported"));
  EXPECT_THAT(
      LoadError({{"WALG_FILE_PREFIX", "/b"}, {"WALE_GPG_KEY_ID", "ABCD"}}, ErrorCode::kUnsupported),
      HasSubstr("WALE_GPG_KEY_ID"));
}

TEST(SettingsTest, OtherValues) {
  Settings s = Load({{"WALG_FILE_PREFIX", "/b"},
                     {"WALG_UPLOAD_CONCURRENCY", "3"},
                     {"UPLOAD_CONCURRENCY", "99"},  // alias loses to the canonical name
                     {"WALG_DOWNLOAD_CONCURRENCY", "1"},
                     {"WALG_PREFETCH_DIR", "/tmp/pf"},
                     {"PG_READY_RENAME", "true"},
                     {"WALG_DELTA_MAX_STEPS", "6"},
                     {"WALG_DELTA_ORIGIN", "LATEST_FULL"},
                     {"WALG_DISK_RATE_LIMIT", "100MiB"},
                     {"WALG_STOP_BACKUP_TIMEOUT", "2m"},
                     {"WALG_ALIVE_CHECK_INTERVAL", "0"},
                     {"WALG_PG_WAL_SIZE", "64"},
                     {"WALG_SENTINEL_USER_DATA", "{\"k\": [1, 2]}"},
                     {"WALG_LOG_LEVEL", "devel"},
                     {"WALNUT_ARCHIVE_CHECK", "false"},
                     {"PGDATA", "/var/lib/postgresql/data"}});
  EXPECT_EQ(s.upload_concurrency, 3);
  EXPECT_EQ(s.download_concurrency, 1);
  EXPECT_EQ(s.prefetch_dir, "/tmp/pf");
  EXPECT_TRUE(s.pg_ready_rename);
  EXPECT_EQ(s.delta_max_steps, 6);
  EXPECT_TRUE(s.delta_from_full);
  EXPECT_EQ(s.disk_rate_limit, 100u << 20);
  EXPECT_EQ(s.stop_backup_timeout, std::chrono::minutes(2));
  EXPECT_EQ(s.alive_check_interval, std::chrono::milliseconds(0));
  EXPECT_EQ(s.wal_segment_size, 64u << 20);
  EXPECT_EQ(s.sentinel_user_data, "{\"k\": [1, 2]}");
  EXPECT_EQ(s.log_level, "DEVEL");
  EXPECT_EQ(s.pgdata, "/var/lib/postgresql/data");
  EXPECT_FALSE(s.archive_check);

  EXPECT_THAT(LoadError({{"WALG_FILE_PREFIX", "/b"}, {"WALG_UPLOAD_CONCURRENCY", "0"}}),
              HasSubstr("WALG_UPLOAD_CONCURRENCY: invalid value '0'; expected an integer from 1"));
  EXPECT_THAT(LoadError({{"WALG_FILE_PREFIX", "/b"}, {"WALG_PG_WAL_SIZE", "24"}}),
              HasSubstr("power of 2"));
  EXPECT_THAT(LoadError({{"WALG_FILE_PREFIX", "/b"}, {"WALG_SENTINEL_USER_DATA", "{oops"}}),
              HasSubstr("expected JSON"));
  EXPECT_THAT(LoadError({{"WALG_FILE_PREFIX", "/b"}, {"WALG_DELTA_ORIGIN", "FIRST"}}),
              HasSubstr("accepted: LATEST, LATEST_FULL"));
  EXPECT_THAT(LoadError({{"WALG_FILE_PREFIX", "/b"}, {"WALG_STOP_BACKUP_TIMEOUT", "-5s"}}),
              HasSubstr("WALG_STOP_BACKUP_TIMEOUT"));
  EXPECT_THAT(LoadError({{"WALG_FILE_PREFIX", "/b"}, {"WALNUT_ARCHIVE_CHECK", "no"}}),
              HasSubstr("WALNUT_ARCHIVE_CHECK"));
}

}  // namespace
}  // namespace walnut
