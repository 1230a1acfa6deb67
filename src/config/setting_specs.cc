#include "config/setting_specs.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <map>
#include <string>

#include "common/error.h"

// The names, defaults and aliases follow WAL-G's internal/config/config.go (CommonAllowedSettings,
// PGAllowedSettings, CommonDefaultConfigValues, PGDefaultSettings) and the storages' SettingList
// (pkg/storages/*/configure.go). WAL-G reads every storage setting X as WALG_X, then WALE_X, then X
// (internal/storage_adapter.go loadSettings), so those get all three spellings here.

namespace walnut {
namespace {

using K = SettingKind;

// Builds one SettingSpec readably: Spec("NAME", K::kInt, "what it does").Default("16").
class Spec {
 public:
  Spec(std::string_view name, SettingKind kind, std::string_view description) {
    spec_.name = name;
    spec_.kind = kind;
    spec_.description = description;
  }
  Spec& Default(std::string_view value) {
    spec_.default_value = value;
    return *this;
  }
  Spec& Alias(std::string_view alias) {
    spec_.aliases.push_back(alias);
    return *this;
  }
  Spec& Accepts(std::initializer_list<std::string_view> values) {
    spec_.accepted.assign(values);
    return *this;
  }
  Spec& Secret() {
    spec_.secret = true;
    return *this;
  }
  Spec& Implemented() {
    spec_.status = SettingStatus::kImplemented;
    return *this;
  }
  // `note`: why the setting is refused and what to use instead.
  Spec& Refused(std::string_view note) {
    spec_.status = SettingStatus::kRefused;
    spec_.status_note = note;
    return *this;
  }
  // `note`: what is ignored, for the warning.
  Spec& Warned(std::string_view note) {
    spec_.status = SettingStatus::kWarned;
    spec_.status_note = note;
    return *this;
  }
  Spec& ExportToEnv() {
    spec_.export_to_env = true;
    return *this;
  }
  // A storage setting WAL-G looks up as WALG_<key>, WALE_<key> and <key>: adds the spellings that
  // are not the canonical name. The strings live in a static pool so the views stay valid.
  Spec& StorageKey(std::string_view key) {
    for (std::string_view prefix : {"WALG_", "WALE_", ""}) {
      std::string spelled = std::string(prefix) + std::string(key);
      if (spelled != spec_.name) spec_.aliases.push_back(Intern(std::move(spelled)));
    }
    return *this;
  }
  operator SettingSpec() const { return spec_; }  // NOLINT: builder conversion

 private:
  static std::string_view Intern(std::string s) {
    static auto* pool = new std::map<std::string, int>();  // never destroyed: views outlive main
    return pool->emplace(std::move(s), 0).first->first;
  }
  SettingSpec spec_;
};

std::vector<SettingSpec> BuildRegistry() {
  return {
      // Storage selection, in WAL-G's order: the first configured prefix wins.
      Spec("WALG_OSS_PREFIX", K::kString, "Alibaba OSS storage, oss://bucket/path")
          .Alias("WALE_OSS_PREFIX"),
      Spec("WALG_S3_PREFIX", K::kString, "S3 storage, s3://bucket/path").Alias("WALE_S3_PREFIX"),
      Spec("WALG_FILE_PREFIX", K::kString, "local directory storage (file://localhost/ accepted)")
          .Alias("WALE_FILE_PREFIX"),
      Spec("WALG_GS_PREFIX", K::kString, "Google Cloud Storage, gs://bucket/path")
          .Alias("WALE_GS_PREFIX"),
      Spec("WALG_AZ_PREFIX", K::kString, "Azure Blob storage, azure://container/path")
          .Alias("WALE_AZ_PREFIX"),
      Spec("WALG_SWIFT_PREFIX", K::kString, "OpenStack Swift storage, swift://container/path")
          .Alias("WALE_SWIFT_PREFIX"),
      Spec("WALG_SSH_PREFIX", K::kString, "SFTP storage, ssh://host/path").Alias("WALE_SSH_PREFIX"),
      Spec("WALG_STORAGE_PREFIX", K::kString,
           "sub-folder under the storage root used for everything"),
      Spec("WALG_TARGET_STORAGE", K::kString, "default for --target-storage (failover storages)"),
      Spec("WALG_FAILOVER_STORAGES", K::kJson, "failover storages: name -> settings object"),
      Spec("WALG_FAILOVER_STORAGES_CHECK", K::kBool, "check failover storages are alive"),
      Spec("WALG_FAILOVER_STORAGES_CHECK_TIMEOUT", K::kDuration, "failover alive-check timeout")
          .Default("30s"),
      Spec("WALG_FAILOVER_STORAGES_CHECK_SIZE", K::kBytes,
           "bytes written by a failover alive-check")
          .Default("1mb"),
      Spec("WALG_FAILOVER_STORAGES_CACHE_LIFETIME", K::kDuration, "failover status cache lifetime")
          .Default("15m"),
      Spec("WALG_FAILOVER_STORAGES_CACHE_EMA_ALIVE_LIMIT", K::kString, "failover EMA alive limit"),
      Spec("WALG_FAILOVER_STORAGES_CACHE_EMA_DEAD_LIMIT", K::kString, "failover EMA dead limit"),
      Spec("WALG_FAILOVER_STORAGES_CACHE_EMA_ALPHA_ALIVE_MAX", K::kString, "failover EMA alpha"),
      Spec("WALG_FAILOVER_STORAGES_CACHE_EMA_ALPHA_ALIVE_MIN", K::kString, "failover EMA alpha"),
      Spec("WALG_FAILOVER_STORAGES_CACHE_EMA_ALPHA_DEAD_MAX", K::kString, "failover EMA alpha"),
      Spec("WALG_FAILOVER_STORAGES_CACHE_EMA_ALPHA_DEAD_MIN", K::kString, "failover EMA alpha"),

      // S3 and S3-compatible stores.
      Spec("AWS_ACCESS_KEY_ID", K::kString, "S3 access key id")
          .StorageKey("AWS_ACCESS_KEY_ID")
          .StorageKey("AWS_ACCESS_KEY")
          .Secret(),
      Spec("AWS_SECRET_ACCESS_KEY", K::kString, "S3 secret access key")
          .StorageKey("AWS_SECRET_ACCESS_KEY")
          .StorageKey("AWS_SECRET_KEY")
          .Secret(),
      Spec("AWS_SESSION_TOKEN", K::kString, "S3 session token for temporary credentials")
          .StorageKey("AWS_SESSION_TOKEN")
          .Secret(),
      Spec("AWS_REGION", K::kString, "S3 region (default: AWS_DEFAULT_REGION, else us-east-1)")
          .StorageKey("AWS_REGION"),
      Spec("AWS_DEFAULT_REGION", K::kString, "S3 region when AWS_REGION is not set"),
      Spec("AWS_ENDPOINT", K::kString, "S3-compatible endpoint URL, e.g. http://127.0.0.1:9000")
          .StorageKey("AWS_ENDPOINT"),
      Spec("AWS_S3_FORCE_PATH_STYLE", K::kBool, "path-style bucket addressing (MinIO, Ceph)")
          .StorageKey("AWS_S3_FORCE_PATH_STYLE")
          .Default("false"),
      Spec("AWS_DUAL_STACK", K::kBool, "use S3 dual-stack (IPv6) endpoints").Default("false"),
      Spec("AWS_ROLE_ARN", K::kString, "IAM role to assume").StorageKey("AWS_ROLE_ARN"),
      Spec("AWS_ROLE_SESSION_NAME", K::kString, "session name for the assumed role")
          .StorageKey("AWS_ROLE_SESSION_NAME"),
      Spec("AWS_PROFILE", K::kString, "profile in the AWS shared credentials file"),
      Spec("AWS_SHARED_CREDENTIALS_FILE", K::kString, "AWS shared credentials file"),
      Spec("AWS_CONFIG_FILE", K::kString, "AWS config file"),
      Spec("AWS_CA_BUNDLE", K::kString, "CA bundle for AWS TLS connections"),
      Spec("AWS_DEFAULT_OUTPUT", K::kString, "AWS CLI output format (accepted, unused)"),
      Spec("WALG_S3_STORAGE_CLASS", K::kString, "storage class of uploaded objects")
          .StorageKey("S3_STORAGE_CLASS")
          .Default("STANDARD"),
      Spec("WALG_S3_SSE", K::kEnum, "server-side encryption: AES256, aws:kms or aws:kms:dsse")
          .StorageKey("S3_SSE")
          .Accepts({"AES256", "aws:kms", "aws:kms:dsse"}),
      Spec("WALG_S3_SSE_KMS_ID", K::kString, "KMS key id for WALG_S3_SSE=aws:kms")
          .StorageKey("S3_SSE_KMS_ID"),
      Spec("WALG_S3_SSE_C", K::kString, "customer-provided server-side encryption key (SSE-C)")
          .StorageKey("S3_SSE_C")
          .Secret(),
      Spec("WALG_S3_CA_CERT_FILE", K::kString, "CA certificate file for the S3 endpoint")
          .StorageKey("S3_CA_CERT_FILE"),
      // 8 MiB rather than WAL-G's 20 MiB (the AWS CLI's default too): an upload buffers
      // (parts in flight + 1) parts, and this keeps one upload's memory near 32 MiB.
      Spec("WALG_S3_MAX_PART_SIZE", K::kBytes, "multipart upload part size")
          .StorageKey("S3_MAX_PART_SIZE")
          .Default("8388608"),
      Spec("WALG_S3_MAX_RETRIES", K::kInt, "retries of a failed S3 request")
          .StorageKey("S3_MAX_RETRIES")
          .Default("15"),
      Spec("WALG_S3_USE_LIST_OBJECTS_V1", K::kBool, "list with ListObjects v1 (old Ceph etc.)")
          .StorageKey("S3_USE_LIST_OBJECTS_V1")
          .Default("false"),
      Spec("WALG_S3_RANGE_BATCH_ENABLED", K::kBool, "resume interrupted downloads with Range")
          .StorageKey("S3_RANGE_BATCH_ENABLED")
          .Default("false"),
      Spec("WALG_S3_RANGE_MAX_RETRIES", K::kInt, "retries of a ranged download")
          .StorageKey("S3_RANGE_MAX_RETRIES")
          .Default("10"),
      Spec("WALG_S3_LOG_LEVEL", K::kString, "S3 client debug logging").StorageKey("S3_LOG_LEVEL"),
      Spec("WALG_S3_ENDPOINT_SOURCE", K::kString, "URL that returns the S3 endpoint host")
          .StorageKey("S3_ENDPOINT_SOURCE"),
      Spec("WALG_S3_ENDPOINT_PORT", K::kString, "port for WALG_S3_ENDPOINT_SOURCE hosts")
          .StorageKey("S3_ENDPOINT_PORT")
          .Default("443"),
      Spec("S3_ENDPOINT_PROTOCOL", K::kString, "protocol for WALG_S3_ENDPOINT_SOURCE hosts")
          .StorageKey("S3_ENDPOINT_PROTOCOL"),
      Spec("S3_SKIP_VALIDATION", K::kBool, "skip the credential check at start")
          .StorageKey("S3_SKIP_VALIDATION"),
      Spec("S3_USE_YC_SESSION_TOKEN", K::kString, "Yandex Cloud session token")
          .StorageKey("S3_USE_YC_SESSION_TOKEN")
          .Secret(),
      Spec("S3_REQUEST_ADDITIONAL_HEADERS", K::kJson, "extra HTTP headers for every S3 request")
          .StorageKey("S3_REQUEST_ADDITIONAL_HEADERS")
          .Secret(),
      Spec("S3_MIN_THROTTLING_RETRY_DELAY", K::kInt, "minimum throttling retry delay, ms")
          .StorageKey("S3_MIN_THROTTLING_RETRY_DELAY")
          .Default("500"),
      Spec("S3_MAX_THROTTLING_RETRY_DELAY", K::kInt, "maximum throttling retry delay, ms")
          .StorageKey("S3_MAX_THROTTLING_RETRY_DELAY")
          .Default("300000"),
      Spec("S3_RETENTION_PERIOD", K::kInt, "object lock retention period, days (-1: none)")
          .StorageKey("S3_RETENTION_PERIOD")
          .Default("-1"),
      Spec("S3_RETENTION_MODE", K::kString, "object lock retention mode")
          .StorageKey("S3_RETENTION_MODE")
          .Default("GOVERNANCE"),
      Spec("S3_DISABLE_100_CONTINUE", K::kBool, "do not send Expect: 100-continue")
          .StorageKey("S3_DISABLE_100_CONTINUE"),
      Spec("S3_ENABLE_VERSIONING", K::kString, "bucket versioning handling")
          .StorageKey("S3_ENABLE_VERSIONING"),
      Spec("S3_DELETE_BATCH_SIZE", K::kInt, "keys per DeleteObjects request")
          .StorageKey("S3_DELETE_BATCH_SIZE")
          .Default("1000"),

      // Other storages (WAL-G's; walnut reports them as unsupported when selected).
      Spec("GOOGLE_APPLICATION_CREDENTIALS", K::kString, "GCS service account credentials")
          .StorageKey("GOOGLE_APPLICATION_CREDENTIALS")
          .Secret(),
      Spec("GCS_CONTEXT_TIMEOUT", K::kString, "GCS request timeout")
          .StorageKey("GCS_CONTEXT_TIMEOUT"),
      Spec("GCS_NORMALIZE_PREFIX", K::kString, "GCS: normalize the prefix path")
          .StorageKey("GCS_NORMALIZE_PREFIX"),
      Spec("GCS_ENCRYPTION_KEY", K::kString, "GCS customer-supplied encryption key")
          .StorageKey("GCS_ENCRYPTION_KEY")
          .Secret(),
      Spec("GCS_MAX_CHUNK_SIZE", K::kString, "GCS upload chunk size")
          .StorageKey("GCS_MAX_CHUNK_SIZE"),
      Spec("GCS_MAX_RETRIES", K::kString, "GCS request retries").StorageKey("GCS_MAX_RETRIES"),
      Spec("AZURE_STORAGE_ACCOUNT", K::kString, "Azure storage account")
          .StorageKey("AZURE_STORAGE_ACCOUNT"),
      Spec("AZURE_STORAGE_ACCESS_KEY", K::kString, "Azure storage account key")
          .StorageKey("AZURE_STORAGE_ACCESS_KEY")
          .Secret(),
      Spec("AZURE_STORAGE_SAS_TOKEN", K::kString, "Azure SAS token")
          .StorageKey("AZURE_STORAGE_SAS_TOKEN")
          .Secret(),
      Spec("AZURE_ENVIRONMENT_NAME", K::kString, "Azure cloud environment")
          .StorageKey("AZURE_ENVIRONMENT_NAME"),
      Spec("WALG_AZURE_BUFFER_SIZE", K::kString, "Azure upload buffer size")
          .StorageKey("AZURE_BUFFER_SIZE"),
      Spec("WALG_AZURE_MAX_BUFFERS", K::kString, "Azure upload buffers")
          .StorageKey("AZURE_MAX_BUFFERS"),
      Spec("OS_AUTH_URL", K::kString, "Swift auth URL").StorageKey("OS_AUTH_URL"),
      Spec("OS_USERNAME", K::kString, "Swift user").StorageKey("OS_USERNAME"),
      Spec("OS_PASSWORD", K::kString, "Swift password").StorageKey("OS_PASSWORD").Secret(),
      Spec("OS_TENANT_NAME", K::kString, "Swift tenant").StorageKey("OS_TENANT_NAME"),
      Spec("OS_REGION_NAME", K::kString, "Swift region").StorageKey("OS_REGION_NAME"),
      Spec("SSH_PORT", K::kString, "SFTP port").StorageKey("SSH_PORT"),
      Spec("SSH_USERNAME", K::kString, "SFTP user").StorageKey("SSH_USERNAME"),
      Spec("SSH_PASSWORD", K::kString, "SFTP password").StorageKey("SSH_PASSWORD").Secret(),
      Spec("SSH_PRIVATE_KEY_PATH", K::kString, "SFTP private key file")
          .StorageKey("SSH_PRIVATE_KEY_PATH"),
      Spec("OSS_ACCESS_KEY_ID", K::kString, "OSS access key id")
          .StorageKey("OSS_ACCESS_KEY_ID")
          .Secret(),
      Spec("OSS_ACCESS_KEY_SECRET", K::kString, "OSS access key secret")
          .StorageKey("OSS_ACCESS_KEY_SECRET")
          .Secret(),
      Spec("OSS_SESSION_TOKEN", K::kString, "OSS session token")
          .StorageKey("OSS_SESSION_TOKEN")
          .Secret(),
      Spec("OSS_ENDPOINT", K::kString, "OSS endpoint").StorageKey("OSS_ENDPOINT"),
      Spec("OSS_REGION", K::kString, "OSS region").StorageKey("OSS_REGION"),
      Spec("OSS_ROLE_ARN", K::kString, "OSS role to assume").StorageKey("OSS_ROLE_ARN"),
      Spec("OSS_ROLE_SESSION_NAME", K::kString, "OSS role session name")
          .StorageKey("OSS_ROLE_SESSION_NAME"),
      Spec("OSS_MAX_RETRIES", K::kString, "OSS request retries").StorageKey("OSS_MAX_RETRIES"),
      Spec("OSS_CONNECT_TIMEOUT", K::kString, "OSS connect timeout")
          .StorageKey("OSS_CONNECT_TIMEOUT"),
      Spec("OSS_UPLOAD_PART_SIZE", K::kString, "OSS part size").StorageKey("OSS_UPLOAD_PART_SIZE"),
      Spec("OSS_COPY_PART_SIZE", K::kString, "OSS copy part size").StorageKey("OSS_COPY_PART_SIZE"),

      // Compression and encryption.
      Spec("WALG_COMPRESSION_METHOD", K::kEnum, "compression of uploaded tars and WAL")
          .Accepts({"lz4", "lzma", "zstd", "brotli", "none"})
          .Default("lz4"),
      Spec("WALG_ZSTD_LEVEL", K::kString,
           "zstd level: fastest, default, better, best or 1..22 (needs method zstd)"),
      Spec("WALG_LIBSODIUM_KEY", K::kString, "libsodium encryption key").Secret(),
      Spec("WALG_LIBSODIUM_KEY_PATH", K::kString, "file holding the libsodium key"),
      Spec("WALG_LIBSODIUM_KEY_TRANSFORM", K::kEnum, "how the libsodium key text is decoded")
          .Accepts({"none", "hex", "base64"})
          .Default("none"),
      Spec("WALG_PGP_KEY", K::kString, "ASCII-armored OpenPGP key").Secret(),
      Spec("WALG_PGP_KEY_PATH", K::kString, "file holding the ASCII-armored OpenPGP key"),
      Spec("WALG_PGP_KEY_PASSPHRASE", K::kString, "passphrase of the OpenPGP private key").Secret(),
      Spec("WALG_GPG_KEY_ID", K::kString, "deprecated: key id in the external gpg keyring")
          .Alias("WALE_GPG_KEY_ID")
          .Secret(),
      Spec("WALG_ENVELOPE_PGP_KEY", K::kString, "envelope OpenPGP key (Yandex Cloud KMS)").Secret(),
      Spec("WALG_ENVELOPE_PGP_KEY_PATH", K::kString, "file holding the envelope OpenPGP key"),
      Spec("WALG_ENVELOPE_PGP_YC_CSE_KMS_KEY_ID", K::kString, "Yandex Cloud KMS key id (envelope)"),
      Spec("WALG_ENVELOPE_PGP_YC_SERVICE_ACCOUNT_KEY_FILE", K::kString,
           "Yandex Cloud service account key file (envelope)"),
      Spec("WALG_ENVELOPE_PGP_YC_ENDPOINT", K::kString, "Yandex Cloud KMS endpoint (envelope)"),
      Spec("WALG_ENVELOPE_CACHE_EXPIRATION", K::kDuration, "envelope key cache lifetime")
          .Default("0"),
      Spec("WALG_CSE_KMS_ID", K::kString, "AWS KMS key for client-side encryption"),
      Spec("WALG_CSE_KMS_REGION", K::kString, "region of WALG_CSE_KMS_ID"),
      Spec("YC_CSE_KMS_KEY_ID", K::kString, "Yandex Cloud KMS key for client-side encryption"),
      Spec("YC_SERVICE_ACCOUNT_KEY_FILE", K::kString, "Yandex Cloud service account key file"),

      // Concurrency and throttling.
      Spec("WALG_UPLOAD_CONCURRENCY", K::kInt, "parallel uploads")
          .StorageKey("UPLOAD_CONCURRENCY")
          .Default("16"),
      Spec("WALG_DOWNLOAD_CONCURRENCY", K::kInt,
           "parallel downloads; WAL segments prefetched by wal-fetch (1 disables prefetch)")
          .Default("10"),
      Spec("WALG_UPLOAD_DISK_CONCURRENCY", K::kInt, "tar files filled in parallel by backup-push")
          .Default("1"),
      Spec("WALG_UPLOAD_QUEUE", K::kInt, "finished tar files waiting for upload").Default("2"),
      Spec("WALG_DOWNLOAD_FILE_RETRIES", K::kInt, "retries of one file download").Default("15"),
      Spec("WALG_DISK_RATE_LIMIT", K::kBytes, "disk read limit for backup-push, bytes per second"),
      Spec("WALG_NETWORK_RATE_LIMIT", K::kBytes, "network limit, bytes per second"),
      Spec("GOMAXPROCS", K::kInt, "CPU limit (WAL-G's Go runtime; accepted, unused)"),
      Spec("GODEBUG", K::kString, "Go runtime debugging (accepted, unused)"),

      // wal-push / wal-fetch.
      Spec("WALG_PREFETCH_DIR", K::kString,
           "directory for prefetched WAL (default: the directory of the segment)"),
      Spec("TOTAL_BG_UPLOADED_LIMIT", K::kInt, "extra .ready segments one wal-push may upload")
          .Default("32"),
      // Walnut refuses by default (WAL-G: false); false still protects .history files.
      Spec("WALG_PREVENT_WAL_OVERWRITE", K::kBool, "refuse to overwrite a different stored segment")
          .Default("true"),
      Spec("WALNUT_WAL_PUSH_TIMEOUT", K::kDuration,
           "wal-push gives up (exit 1) after this long, so archive_command never hangs")
          .Default("120s"),
      Spec("WALG_UPLOAD_WAL_METADATA", K::kEnum, "WAL metadata: NOMETADATA, INDIVIDUAL or BULK")
          .Accepts({"NOMETADATA", "INDIVIDUAL", "BULK"})
          .Default("NOMETADATA"),
      Spec("PG_READY_RENAME", K::kBool, "wal-push renames .ready to .done for segments it uploads")
          .Default("false"),
      Spec("WALG_USE_WAL_DELTA", K::kBool, "wal-push records page maps for delta backups")
          .Default("false"),
      Spec("WALG_FORCE_WAL_DELTA", K::kBool, "fail when WAL delta maps are missing")
          .Default("false"),
      Spec("WALG_INTEGRITY_MAX_DELAYED_WALS", K::kInt, "wal-verify: segments allowed to be late")
          .Default("0"),
      Spec("WALG_SLOTNAME", K::kString, "replication slot of wal-receive").Default("walg"),
      Spec("WALG_DAEMON_WAL_UPLOAD_TIMEOUT", K::kDuration, "daemon wal-push timeout")
          .Default("60s"),
      Spec("WALG_PG_WAL_SIZE", K::kInt, "WAL segment size, MiB").Default("16"),
      Spec("WALG_PG_WAL_PAGE_SIZE", K::kInt, "WAL page size, bytes").Default("8192"),
      Spec("WALG_PG_BLOCK_SIZE", K::kInt, "data page size, bytes").Default("8192"),

      // backup-push / backup-fetch.
      Spec("WALG_DELTA_MAX_STEPS", K::kInt, "delta backups between full backups (0: always full)")
          .Default("0"),
      Spec("WALG_DELTA_ORIGIN", K::kEnum, "base of a delta: LATEST or LATEST_FULL")
          .Accepts({"LATEST", "LATEST_FULL"})
          .Default("LATEST"),
      Spec("WALG_DELTA_FROM_NAME", K::kString, "take the delta from this backup"),
      Spec("WALG_DELTA_FROM_USER_DATA", K::kJson, "take the delta from the backup with this data"),
      Spec("WALG_TAR_SIZE_THRESHOLD", K::kBytes, "uncompressed size of one tar part")
          .Default("1073741823"),
      Spec("WALG_TAR_DISABLE_FSYNC", K::kBool, "do not fsync extracted files").Default("false"),
      Spec("WALG_VERIFY_PAGE_CHECKSUMS", K::kBool, "verify page checksums during backup-push")
          .Default("false"),
      Spec("WALG_STORE_ALL_CORRUPT_BLOCKS", K::kBool, "record every corrupt block, not just 10")
          .Default("false"),
      Spec("WALG_USE_RATING_COMPOSER", K::kBool, "pack tars by change rating").Default("false"),
      Spec("WALG_USE_COPY_COMPOSER", K::kBool, "copy unchanged tars of the previous backup")
          .Default("false"),
      Spec("WALG_USE_DATABASE_COMPOSER", K::kBool, "pack tars by database").Default("false"),
      Spec("WALG_WITHOUT_FILES_METADATA", K::kBool, "skip files_metadata.json (forces full)")
          .Default("false"),
      Spec("WALG_SENTINEL_USER_DATA", K::kJson, "JSON stored as user_data in the backup"),
      Spec("WALG_ALIVE_CHECK_INTERVAL", K::kDuration, "PostgreSQL liveness check during backup")
          .Default("1m"),
      Spec("WALG_STOP_BACKUP_TIMEOUT", K::kDuration, "statement timeout of pg_backup_stop"),
      // pgBackRest's archive-check.
      Spec("WALNUT_ARCHIVE_CHECK", K::kBool,
           "backup-push refuses a server that archives nothing and waits for its WAL to be "
           "archived (false: for WAL that reaches the storage another way)")
          .Default("true")
          .Implemented(),
      Spec("WALNUT_ARCHIVE_WAIT_TIMEOUT", K::kDuration,
           "backup-push waits this long for its last WAL segment to be archived (0: no wait)")
          .Default("60s"),
      // delete never touches a backup folder without a sentinel whose newest object is younger.
      Spec("WALNUT_DELETE_PENDING_AGE", K::kDuration,
           "delete treats a backup without a sentinel as being pushed while its newest object is "
           "younger than this")
          .Default("12h"),
      Spec("WALG_DIRECT_IO", K::kBool, "read data files with O_DIRECT").Default("false"),
      Spec("WALG_DIRECT_IO_BLOCK_COUNT", K::kInt, "blocks per O_DIRECT read").Default("32"),
      Spec("WALG_DISABLE_PARTIAL_RESTORE", K::kBool, "do not record databases for partial restore")
          .Default("false"),
      Spec("WALG_USE_REVERSE_UNPACK", K::kBool,
           "backup-fetch applies a delta chain newest first (false: oldest first, WAL-G's default)")
          .Default("true"),
      Spec("WALG_SKIP_REDUNDANT_TARS", K::kBool,
           "accepted; backup-fetch always skips the tars a chain restore does not need")
          .Default("false"),
      Spec("WALG_FETCH_TARGET_USER_DATA", K::kJson, "backup-fetch the backup with this user data"),
      Spec("WALG_SERIALIZER_TYPE", K::kString, "metadata serializer").Default("json_default"),
      Spec("WALG_STREAM_CREATE_COMMAND", K::kString, "command producing a backup stream"),
      Spec("WALG_STREAM_RESTORE_COMMAND", K::kString, "command consuming a backup stream"),
      Spec("PGBACKREST_STANZA", K::kString, "pgBackRest stanza read by the pgbackrest commands")
          .Default("main"),

      // Logging and monitoring.
      Spec("WALG_LOG_LEVEL", K::kEnum, "NORMAL, DEVEL (debug) or ERROR")
          .Accepts({"NORMAL", "DEVEL", "ERROR"})
          .Default("NORMAL"),
      Spec("WALG_LOG_DESTINATION", K::kString, "log file (default: standard error)"),
      Spec("WALG_STATSD_ADDRESS", K::kString, "statsd host:port for metrics"),
      Spec("WALG_STATSD_EXTRA_TAGS", K::kJson, "extra statsd tags"),
      Spec("HTTP_LISTEN", K::kString, "address of the embedded HTTP server"),
      Spec("HTTP_EXPOSE_PPROF", K::kBool, "expose profiling over HTTP"),
      Spec("HTTP_EXPOSE_EXPVAR", K::kBool, "expose variables over HTTP"),
      Spec("PROFILE_SAMPLING_RATIO", K::kString, "profiling sampling ratio"),
      Spec("PROFILE_MODE", K::kString, "profiling mode"),
      Spec("PROFILE_PATH", K::kString, "profiling output directory"),

      // PostgreSQL connection (libpq reads these from the environment).
      Spec("PGDATA", K::kString, "PostgreSQL data directory").ExportToEnv(),
      Spec("PGHOST", K::kString, "database host or socket directory").ExportToEnv(),
      Spec("PGPORT", K::kString, "database port").ExportToEnv(),
      Spec("PGUSER", K::kString, "database user").ExportToEnv(),
      Spec("PGPASSWORD", K::kString, "database password").Secret().ExportToEnv(),
      Spec("PGPASSFILE", K::kString, "password file").ExportToEnv(),
      Spec("PGDATABASE", K::kString, "database name").ExportToEnv(),
      Spec("PGSSLMODE", K::kString, "TLS mode").ExportToEnv(),
      Spec("PGSSLKEY", K::kString, "TLS client key").ExportToEnv(),
      Spec("PGSSLCERT", K::kString, "TLS client certificate").ExportToEnv(),
      Spec("PGSSLROOTCERT", K::kString, "TLS root certificate").ExportToEnv(),
      Spec("PGAPPNAME", K::kString, "application_name of the connection")
          .Default("wal-g")
          .ExportToEnv(),
  };
}

struct Registry {
  std::vector<SettingSpec> specs;
  std::map<std::string_view, const SettingSpec*, std::less<>> by_name;  // names and aliases
  std::map<std::string, std::string_view, std::less<>> flag_to_name;    // flag -> name or alias
};

const Registry& GetRegistry() {
  static const Registry* registry = [] {
    auto* r = new Registry();  // never destroyed: used until the process exits
    r->specs = BuildRegistry();
    for (const SettingSpec& spec : r->specs) {
      auto add = [&](std::string_view name) {
        // A name listed twice would make lookups ambiguous: a bug in the table above.
        if (!r->by_name.emplace(name, &spec).second) {
          throw Error(ErrorCode::kInternal,
                      "setting " + std::string(name) + " is registered twice");
        }
        r->flag_to_name.emplace(ToFlagName(name), name);
      };
      add(spec.name);
      for (std::string_view alias : spec.aliases) add(alias);
    }
    return r;
  }();
  return *registry;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::span<const SettingSpec> AllSettingSpecs() { return GetRegistry().specs; }

const SettingSpec* FindSettingSpec(std::string_view name) {
  const auto& by_name = GetRegistry().by_name;
  auto it = by_name.find(name);
  return it == by_name.end() ? nullptr : it->second;
}

FlagMatch FindSettingSpecByFlag(std::string_view flag) {
  const auto& flags = GetRegistry().flag_to_name;
  auto it = flags.find(flag);
  if (it == flags.end()) return {};
  return {FindSettingSpec(it->second), it->second};
}

std::string ToFlagName(std::string_view setting_name) {
  std::string flag(setting_name);
  for (char& c : flag) {
    c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return flag;
}

std::string_view SuggestSettingName(std::string_view unknown) {
  std::string_view best;
  size_t best_distance = 3;
  for (const auto& [name, spec] : GetRegistry().by_name) {
    size_t distance = EditDistance(unknown, name);
    if (distance < best_distance) {
      best_distance = distance;
      best = spec->name;
    }
  }
  return best;
}

}  // namespace walnut
