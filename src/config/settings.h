#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "config/config.h"
#include "config/secret_string.h"

namespace walnut {

// The storage kinds Walnut can open. WAL-G's others (OSS, GS, AZ, SWIFT, SSH) are recognised
// and rejected by LoadSettings with kUnsupported, never silently skipped.
enum class StorageType { kFile, kS3 };

// Where backups and WAL live.
struct StorageSettings {
  StorageType type = StorageType::kFile;
  // The setting that selected the storage, as the user spelled it ("WALE_S3_PREFIX"), for messages.
  std::string prefix_setting;
  // kFile: the directory (WALG_FILE_PREFIX with "file://localhost" stripped).
  // kS3: the key prefix inside the bucket, without leading or trailing '/'; may be "".
  std::string root;
  // kS3: the bucket of WALG_S3_PREFIX. Empty for kFile.
  std::string bucket;
  // WALG_STORAGE_PREFIX without leading/trailing '/': a sub-folder of `root` that WAL-G puts every
  // object under (basebackups_005/, wal_005/ are inside it). "" when unset.
  std::string sub_prefix;
};

// S3 client options, as plain values; the storage factory maps them to the S3 storage.
struct S3Settings {
  // AWS_ENDPOINT with a scheme ("https://" added when none was given) and no trailing '/'.
  // "" means AWS itself (https://s3.<region>.amazonaws.com).
  std::string endpoint;
  // AWS_REGION, else AWS_DEFAULT_REGION, else "us-east-1".
  std::string region = "us-east-1";
  bool region_configured = false;  // whether the region above was set, not defaulted
  bool force_path_style = false;   // AWS_S3_FORCE_PATH_STYLE: http://host/bucket/key
  // AWS_ACCESS_KEY_ID (AWS_ACCESS_KEY); empty: anonymous unless the credential chain finds some.
  std::string access_key_id;
  SecretString secret_access_key;          // AWS_SECRET_ACCESS_KEY (AWS_SECRET_KEY)
  SecretString session_token;              // AWS_SESSION_TOKEN
  std::string storage_class = "STANDARD";  // WALG_S3_STORAGE_CLASS (upper-case letters, digits, _)
  // WALG_S3_SSE: "", "AES256", "aws:kms" or "aws:kms:dsse".
  std::string sse;
  std::string sse_kms_key_id;     // WALG_S3_SSE_KMS_ID; set exactly when sse starts with aws:kms
  SecretString sse_customer_key;  // WALG_S3_SSE_C (SSE-C); excludes `sse`
  std::string ca_cert_file;       // WALG_S3_CA_CERT_FILE; "" for the system CAs
  // WALG_S3_MAX_PART_SIZE, 5 MiB..5 GiB (S3's part limits); 8 MiB by default (WAL-G: 20 MiB).
  uint64_t max_part_size = 8u << 20;
  int max_retries = 15;                // WALG_S3_MAX_RETRIES
  bool use_list_objects_v1 = false;    // WALG_S3_USE_LIST_OBJECTS_V1
};

// Client-side encryption. At most one method is configured (see LoadSettings).
enum class EncryptionType { kNone, kLibsodium, kPgp };

struct EncryptionSettings {
  EncryptionType type = EncryptionType::kNone;
  // kLibsodium: exactly one of key and key_path is set.
  SecretString libsodium_key;                    // WALG_LIBSODIUM_KEY
  std::string libsodium_key_path;                // WALG_LIBSODIUM_KEY_PATH
  std::string libsodium_key_transform = "none";  // WALG_LIBSODIUM_KEY_TRANSFORM: none, hex, base64
  // kPgp: exactly one of key and key_path is set. The inline key has WAL-G's literal "\n"
  // sequences turned into newlines already.
  SecretString pgp_key;             // WALG_PGP_KEY
  std::string pgp_key_path;         // WALG_PGP_KEY_PATH
  SecretString pgp_key_passphrase;  // WALG_PGP_KEY_PASSPHRASE; may be empty
};

// Everything a command needs from the settings, validated. Built by LoadSettings.
struct Settings {
  StorageSettings storage;
  S3Settings s3;  // meaningful when storage.type == kS3

  // WALG_COMPRESSION_METHOD: "lz4", "lzma", "zstd", "brotli" or "none" (the pipeline maps it).
  std::string compression_method = "lz4";
  // WALG_ZSTD_LEVEL as a zstd level 1..22 (fastest=1, default=3, better=7, best=11);
  // nullopt: the codec's default. Only with compression_method "zstd".
  std::optional<int> zstd_level;
  EncryptionSettings encryption;

  int upload_concurrency = 16;      // WALG_UPLOAD_CONCURRENCY, >= 1
  int download_concurrency = 10;    // WALG_DOWNLOAD_CONCURRENCY, >= 1 (also WAL prefetch depth)
  int upload_disk_concurrency = 1;  // WALG_UPLOAD_DISK_CONCURRENCY, >= 1
  int upload_queue = 2;             // WALG_UPLOAD_QUEUE, >= 1
  int download_file_retries = 15;   // WALG_DOWNLOAD_FILE_RETRIES, >= 0
  std::optional<uint64_t> disk_rate_limit;     // WALG_DISK_RATE_LIMIT, bytes/s
  std::optional<uint64_t> network_rate_limit;  // WALG_NETWORK_RATE_LIMIT, bytes/s

  // wal-push / wal-fetch.
  std::string prefetch_dir;            // WALG_PREFETCH_DIR; "" = the directory of the segment
  int total_bg_uploaded_limit = 32;    // TOTAL_BG_UPLOADED_LIMIT, >= 0
  // WALG_PREVENT_WAL_OVERWRITE: refuse to replace an archived WAL file with different content.
  // true by default in Walnut (WAL-G: false); false turns it off for segments, never for .history.
  bool prevent_wal_overwrite = true;
  // WALNUT_WAL_PUSH_TIMEOUT: the whole wal-push call (upload-ahead included) ends with exit 1
  // after this long, so that a dead storage never stalls PostgreSQL's archiver; > 0.
  std::chrono::milliseconds wal_push_timeout{120'000};
  bool pg_ready_rename = false;        // PG_READY_RENAME
  std::string upload_wal_metadata = "NOMETADATA";  // WALG_UPLOAD_WAL_METADATA: or INDIVIDUAL, BULK
  bool use_wal_delta = false;                      // WALG_USE_WAL_DELTA
  uint64_t wal_segment_size = 16u << 20;  // WALG_PG_WAL_SIZE (MiB in the setting), a power of 2

  // backup-push / backup-fetch.
  std::string pgdata;                            // PGDATA; "" when unset
  int delta_max_steps = 0;                       // WALG_DELTA_MAX_STEPS, >= 0 (0: always full)
  bool delta_from_full = false;                  // WALG_DELTA_ORIGIN == LATEST_FULL
  uint64_t tar_size_threshold = (1u << 30) - 1;  // WALG_TAR_SIZE_THRESHOLD, bytes, >= 1
  bool tar_disable_fsync = false;                // WALG_TAR_DISABLE_FSYNC
  bool verify_page_checksums = false;            // WALG_VERIFY_PAGE_CHECKSUMS
  bool store_all_corrupt_blocks = false;         // WALG_STORE_ALL_CORRUPT_BLOCKS
  bool without_files_metadata = false;           // WALG_WITHOUT_FILES_METADATA
  std::string sentinel_user_data;                // WALG_SENTINEL_USER_DATA, valid JSON or ""
  std::chrono::milliseconds alive_check_interval{60'000};  // WALG_ALIVE_CHECK_INTERVAL; 0: off
  // WALNUT_ARCHIVE_CHECK: backup-push refuses a server that archives nothing and waits for the
  // backup's WAL to reach the storage; false for WAL that gets there another way.
  bool archive_check = true;
  // WALNUT_DELETE_PENDING_AGE: delete leaves a backup folder without a sentinel alone (it may be
  // being pushed) while its newest object is younger than this.
  std::chrono::milliseconds delete_pending_age{12 * 3'600'000};
  std::optional<std::chrono::milliseconds> stop_backup_timeout;  // WALG_STOP_BACKUP_TIMEOUT
  bool use_reverse_unpack = true;                                // WALG_USE_REVERSE_UNPACK
  bool skip_redundant_tars = false;                              // WALG_SKIP_REDUNDANT_TARS

  // Logging.
  std::string log_level = "NORMAL";  // WALG_LOG_LEVEL: NORMAL, DEVEL or ERROR
  std::string log_destination;       // WALG_LOG_DESTINATION; "" = standard error
};

// Reads and validates every setting Settings holds. Throws on the first bad value:
// kInvalidArgument naming the setting, its source and what is accepted (never a secret's value);
// "no storage configured: set WALG_FILE_PREFIX (a local directory) or WALG_S3_PREFIX
// (s3://bucket/path)" when no storage prefix is set; kUnsupported for a storage or encryption
// WAL-G has but Walnut does not (so nothing is silently stored elsewhere or unencrypted).
Settings LoadSettings(const Config& config);

}  // namespace walnut
