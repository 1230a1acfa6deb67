#include "config/settings.h"

#include <cctype>
#include <limits>
#include <string_view>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "config/setting_values.h"
#include "config/storage_url.h"

namespace walnut {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

constexpr int64_t kMaxConcurrency = 4096;
constexpr uint64_t kMinS3PartSize = 5u << 20;    // S3 rejects smaller parts (EntityTooSmall)
constexpr uint64_t kMaxS3PartSize = 5ull << 30;  // and larger ones
constexpr uint64_t kMaxBytes = std::numeric_limits<int64_t>::max();

int GetSmallInt(const Config& config, std::string_view name, int64_t min, int64_t max) {
  return static_cast<int>(config.GetInt(name, min, max));
}

std::string Trim(std::string_view s, char c) {
  size_t first = s.find_first_not_of(c);
  if (first == std::string_view::npos) return "";
  size_t last = s.find_last_not_of(c);
  return std::string(s.substr(first, last - first + 1));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// WAL-G's storage adapters in the order it tries them (internal/storage_adapter.go).
struct StorageKind {
  std::string_view setting;
  std::optional<StorageType> type;  // nullopt: WAL-G has it, Walnut does not
  std::string_view label;
};
constexpr StorageKind kStorageOrder[] = {
    {"WALG_OSS_PREFIX", std::nullopt, "Alibaba OSS"},
    {"WALG_S3_PREFIX", StorageType::kS3, "S3"},
    {"WALG_FILE_PREFIX", StorageType::kFile, "file system"},
    {"WALG_GS_PREFIX", std::nullopt, "Google Cloud Storage"},
    {"WALG_AZ_PREFIX", std::nullopt, "Azure"},
    {"WALG_SWIFT_PREFIX", std::nullopt, "Swift"},
    {"WALG_SSH_PREFIX", std::nullopt, "SSH"},
};

StorageSettings LoadStorage(const Config& config) {
  for (const StorageKind& kind : kStorageOrder) {
    if (!config.Has(kind.setting)) continue;
    std::string prefix = config.GetString(kind.setting);
    std::string spelled(config.SpelledName(kind.setting));
    if (!kind.type) {
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("{}: {} storage is not supported by walnut; use WALG_FILE_PREFIX or "
                              "WALG_S3_PREFIX",
                              spelled, kind.label));
    }
    StorageSettings storage;
    storage.type = *kind.type;
    storage.prefix_setting = spelled;
    if (storage.type == StorageType::kS3) {
      S3Location location = ParseS3Prefix(spelled, prefix);
      storage.bucket = std::move(location.bucket);
      storage.root = std::move(location.root);
    } else {
      storage.root = NormalizeFilePrefix(spelled, prefix);
    }
    if (config.Has("WALG_STORAGE_PREFIX")) {
      storage.sub_prefix = Trim(config.GetString("WALG_STORAGE_PREFIX"), '/');
    }
    return storage;
  }
  throw Error(ErrorCode::kInvalidArgument,
              "no storage configured: set WALG_FILE_PREFIX (a local directory) or WALG_S3_PREFIX "
              "(s3://bucket/path)");
}

std::string NormalizeEndpoint(const Config& config) {
  std::string endpoint = config.GetString("AWS_ENDPOINT");
  size_t scheme_end = endpoint.find("://");
  if (scheme_end == std::string::npos) {
    endpoint = "https://" + endpoint;  // as the AWS SDK does for a bare host
  } else {
    std::string scheme = Lower(std::string_view(endpoint).substr(0, scheme_end));
    if (scheme != "http" && scheme != "https") {
      config.ThrowInvalid("AWS_ENDPOINT",
                          fmt::format("invalid value '{}': the scheme must be http or https, e.g. "
                                      "http://127.0.0.1:9000",
                                      endpoint));
    }
    endpoint = scheme + endpoint.substr(scheme_end);
  }
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  if (endpoint.size() <= std::string_view("https://").size() ||
      endpoint.find_first_of(" \t\r\n") != std::string::npos) {
    config.ThrowInvalid("AWS_ENDPOINT", fmt::format("invalid value '{}': expected a URL such as "
                                                    "https://s3.example.com or http://host:9000",
                                                    config.GetString("AWS_ENDPOINT")));
  }
  return endpoint;
}

S3Settings LoadS3(const Config& config) {
  S3Settings s3;
  if (config.Has("AWS_ENDPOINT")) s3.endpoint = NormalizeEndpoint(config);
  if (config.Has("AWS_REGION")) {
    s3.region = config.GetString("AWS_REGION");
    s3.region_configured = true;
  } else if (config.Has("AWS_DEFAULT_REGION")) {
    s3.region = config.GetString("AWS_DEFAULT_REGION");
    s3.region_configured = true;
  }
  s3.force_path_style = config.GetBool("AWS_S3_FORCE_PATH_STYLE");

  if (config.Has("AWS_ACCESS_KEY_ID")) s3.access_key_id = config.GetString("AWS_ACCESS_KEY_ID");
  if (config.Has("AWS_SECRET_ACCESS_KEY")) {
    s3.secret_access_key = SecretString(config.GetString("AWS_SECRET_ACCESS_KEY"));
  }
  if (config.Has("AWS_SESSION_TOKEN")) {
    s3.session_token = SecretString(config.GetString("AWS_SESSION_TOKEN"));
  }
  // A key id without its secret (or the reverse) can only fail later with a confusing 403.
  if (s3.access_key_id.empty() != s3.secret_access_key.empty()) {
    std::string_view missing =
        s3.access_key_id.empty() ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY";
    std::string_view present =
        s3.access_key_id.empty() ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID";
    config.ThrowInvalid(present, fmt::format("given without {}; set both or neither", missing));
  }
  if (!s3.session_token.empty() && s3.access_key_id.empty()) {
    config.ThrowInvalid("AWS_SESSION_TOKEN",
                        "given without AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }

  std::string storage_class = config.GetString("WALG_S3_STORAGE_CLASS");
  for (char& c : storage_class) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (char c : storage_class) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
      config.ThrowInvalid("WALG_S3_STORAGE_CLASS",
                          fmt::format("invalid value '{}'; expected a storage class such as "
                                      "STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, "
                                      "GLACIER_IR",
                                      config.GetString("WALG_S3_STORAGE_CLASS")));
    }
  }
  s3.storage_class = storage_class;

  if (config.Has("WALG_S3_SSE")) s3.sse = config.GetEnum("WALG_S3_SSE");
  if (config.Has("WALG_S3_SSE_KMS_ID")) s3.sse_kms_key_id = config.GetString("WALG_S3_SSE_KMS_ID");
  if (config.Has("WALG_S3_SSE_C"))
    s3.sse_customer_key = SecretString(config.GetString("WALG_S3_SSE_C"));
  bool kms = s3.sse.rfind("aws:kms", 0) == 0;
  if (kms && s3.sse_kms_key_id.empty()) {
    config.ThrowInvalid("WALG_S3_SSE",
                        fmt::format("{} needs WALG_S3_SSE_KMS_ID (the KMS key id)", s3.sse));
  }
  if (!kms && !s3.sse_kms_key_id.empty()) {
    config.ThrowInvalid("WALG_S3_SSE_KMS_ID",
                        "given, but WALG_S3_SSE is not aws:kms; set "
                        "WALG_S3_SSE=aws:kms or unset WALG_S3_SSE_KMS_ID");
  }
  if (!s3.sse_customer_key.empty() && !s3.sse.empty()) {
    config.ThrowInvalid("WALG_S3_SSE_C",
                        "cannot be combined with WALG_S3_SSE; S3 accepts one "
                        "server-side encryption per object");
  }

  if (config.Has("WALG_S3_CA_CERT_FILE"))
    s3.ca_cert_file = config.GetString("WALG_S3_CA_CERT_FILE");
  s3.max_part_size = config.GetBytes("WALG_S3_MAX_PART_SIZE", kMinS3PartSize, kMaxS3PartSize);
  s3.max_retries = GetSmallInt(config, "WALG_S3_MAX_RETRIES", 0, 1000);
  s3.use_list_objects_v1 = config.GetBool("WALG_S3_USE_LIST_OBJECTS_V1");
  return s3;
}

std::optional<int> LoadZstdLevel(const Config& config, std::string_view method) {
  if (!config.Has("WALG_ZSTD_LEVEL")) return std::nullopt;
  std::string text = config.GetString("WALG_ZSTD_LEVEL");
  if (method != "zstd") {
    config.ThrowInvalid("WALG_ZSTD_LEVEL",
                        fmt::format("only applies to zstd, but WALG_COMPRESSION_METHOD is {}; set "
                                    "WALG_COMPRESSION_METHOD=zstd or unset WALG_ZSTD_LEVEL",
                                    method));
  }
  // WAL-G's names are klauspost/compress speed levels; these are the zstd levels they match.
  std::string lower = Lower(text);
  if (lower == "fastest") return 1;
  if (lower == "default") return 3;
  if (lower == "better") return 7;
  if (lower == "best") return 11;
  std::optional<int64_t> level = ParseSettingInt(text);
  if (!level || *level < 1 || *level > 22) {
    config.ThrowInvalid("WALG_ZSTD_LEVEL",
                        fmt::format("unknown value '{}'; accepted: fastest, default, better, best "
                                    "or a level from 1 to 22",
                                    text));
  }
  return static_cast<int>(*level);
}

// WAL-G's unsupported crypters, in its order (ConfigureCrypterForSpecificConfig).
constexpr std::pair<std::string_view, std::string_view> kUnsupportedCrypters[] = {
    {"WALG_GPG_KEY_ID", "the external gpg keyring (deprecated in WAL-G)"},
    {"WALG_ENVELOPE_PGP_KEY", "envelope OpenPGP encryption"},
    {"WALG_ENVELOPE_PGP_KEY_PATH", "envelope OpenPGP encryption"},
    {"WALG_CSE_KMS_ID", "AWS KMS client-side encryption"},
    {"YC_CSE_KMS_KEY_ID", "Yandex Cloud KMS client-side encryption"},
};

EncryptionSettings LoadEncryption(const Config& config) {
  EncryptionSettings e;
  bool libsodium = config.Has("WALG_LIBSODIUM_KEY") || config.Has("WALG_LIBSODIUM_KEY_PATH");
  bool pgp = config.Has("WALG_PGP_KEY") || config.Has("WALG_PGP_KEY_PATH");
  // Refusing these beats uploading unencrypted data the user believes is encrypted.
  for (const auto& [setting, what] : kUnsupportedCrypters) {
    if (!config.Has(setting)) continue;
    throw Error(ErrorCode::kUnsupported,
                fmt::format("{}: {} is not supported by walnut; use WALG_LIBSODIUM_KEY or "
                            "WALG_PGP_KEY",
                            config.SpelledName(setting), what));
  }
  // WAL-G would quietly prefer PGP; a second key is almost surely a mistake, so say so.
  if (libsodium && pgp) {
    config.ThrowInvalid(config.Has("WALG_PGP_KEY") ? "WALG_PGP_KEY" : "WALG_PGP_KEY_PATH",
                        "cannot be combined with WALG_LIBSODIUM_KEY(_PATH); configure one "
                        "encryption method");
  }

  e.libsodium_key_transform = config.GetEnum("WALG_LIBSODIUM_KEY_TRANSFORM");
  if (libsodium) {
    if (config.Has("WALG_LIBSODIUM_KEY") && config.Has("WALG_LIBSODIUM_KEY_PATH")) {
      config.ThrowInvalid("WALG_LIBSODIUM_KEY_PATH",
                          "cannot be combined with WALG_LIBSODIUM_KEY; set only one of them");
    }
    e.type = EncryptionType::kLibsodium;
    if (config.Has("WALG_LIBSODIUM_KEY")) {
      e.libsodium_key = SecretString(config.GetString("WALG_LIBSODIUM_KEY"));
    } else {
      e.libsodium_key_path = config.GetString("WALG_LIBSODIUM_KEY_PATH");
    }
  }
  if (pgp) {
    if (config.Has("WALG_PGP_KEY") && config.Has("WALG_PGP_KEY_PATH")) {
      config.ThrowInvalid("WALG_PGP_KEY_PATH",
                          "cannot be combined with WALG_PGP_KEY; set only one of them");
    }
    e.type = EncryptionType::kPgp;
    if (config.Has("WALG_PGP_KEY")) {
      // Keys pasted into one-line variables carry literal "\n" (WAL-G undoes that too).
      std::string key = config.GetString("WALG_PGP_KEY");
      std::string unescaped;
      unescaped.reserve(key.size());
      for (size_t i = 0; i < key.size(); ++i) {
        if (key[i] == '\\' && i + 1 < key.size() && key[i + 1] == 'n') {
          unescaped.push_back('\n');
          ++i;
        } else {
          unescaped.push_back(key[i]);
        }
      }
      e.pgp_key = SecretString(std::move(unescaped));
    } else {
      e.pgp_key_path = config.GetString("WALG_PGP_KEY_PATH");
    }
    if (config.Has("WALG_PGP_KEY_PASSPHRASE")) {
      e.pgp_key_passphrase = SecretString(config.GetString("WALG_PGP_KEY_PASSPHRASE"));
    }
  }
  return e;
}

milliseconds GetMilliseconds(const Config& config, std::string_view name) {
  return duration_cast<milliseconds>(config.GetDuration(name));
}

std::optional<uint64_t> GetRateLimit(const Config& config, std::string_view name) {
  if (!config.Has(name)) return std::nullopt;
  return config.GetBytes(name, 1, kMaxBytes);
}

}  // namespace

Settings LoadSettings(const Config& config) {
  Settings s;
  s.storage = LoadStorage(config);
  if (s.storage.type == StorageType::kS3) s.s3 = LoadS3(config);

  s.compression_method = config.GetEnum("WALG_COMPRESSION_METHOD");
  s.zstd_level = LoadZstdLevel(config, s.compression_method);
  s.encryption = LoadEncryption(config);

  s.upload_concurrency = GetSmallInt(config, "WALG_UPLOAD_CONCURRENCY", 1, kMaxConcurrency);
  s.download_concurrency = GetSmallInt(config, "WALG_DOWNLOAD_CONCURRENCY", 1, kMaxConcurrency);
  s.upload_disk_concurrency =
      GetSmallInt(config, "WALG_UPLOAD_DISK_CONCURRENCY", 1, kMaxConcurrency);
  s.upload_queue = GetSmallInt(config, "WALG_UPLOAD_QUEUE", 1, kMaxConcurrency);
  s.download_file_retries = GetSmallInt(config, "WALG_DOWNLOAD_FILE_RETRIES", 0, 1000);
  s.disk_rate_limit = GetRateLimit(config, "WALG_DISK_RATE_LIMIT");
  s.network_rate_limit = GetRateLimit(config, "WALG_NETWORK_RATE_LIMIT");

  if (config.Has("WALG_PREFETCH_DIR")) s.prefetch_dir = config.GetString("WALG_PREFETCH_DIR");
  s.total_bg_uploaded_limit = GetSmallInt(config, "TOTAL_BG_UPLOADED_LIMIT", 0, 1'000'000);
  s.prevent_wal_overwrite = config.GetBool("WALG_PREVENT_WAL_OVERWRITE");
  s.pg_ready_rename = config.GetBool("PG_READY_RENAME");
  s.wal_push_timeout = GetMilliseconds(config, "WALNUT_WAL_PUSH_TIMEOUT");
  if (s.wal_push_timeout.count() <= 0) {
    config.ThrowInvalid("WALNUT_WAL_PUSH_TIMEOUT",
                        "must be a positive duration such as 120s (wal-push needs a deadline)");
  }
  s.upload_wal_metadata = config.GetEnum("WALG_UPLOAD_WAL_METADATA");
  s.use_wal_delta = config.GetBool("WALG_USE_WAL_DELTA");
  int64_t wal_size_mib = config.GetInt("WALG_PG_WAL_SIZE", 1, 1024);
  if ((wal_size_mib & (wal_size_mib - 1)) != 0) {
    config.ThrowInvalid("WALG_PG_WAL_SIZE",
                        fmt::format("invalid value '{}'; expected a power of 2 from 1 to 1024 "
                                    "(MiB, PostgreSQL's --wal-segsize)",
                                    wal_size_mib));
  }
  s.wal_segment_size = static_cast<uint64_t>(wal_size_mib) << 20;

  if (config.Has("PGDATA")) s.pgdata = config.GetString("PGDATA");
  s.delta_max_steps = GetSmallInt(config, "WALG_DELTA_MAX_STEPS", 0, 1'000'000);
  s.delta_from_full = config.GetEnum("WALG_DELTA_ORIGIN") == "LATEST_FULL";
  s.tar_size_threshold = config.GetBytes("WALG_TAR_SIZE_THRESHOLD", 1, kMaxBytes);
  s.tar_disable_fsync = config.GetBool("WALG_TAR_DISABLE_FSYNC");
  s.verify_page_checksums = config.GetBool("WALG_VERIFY_PAGE_CHECKSUMS");
  s.store_all_corrupt_blocks = config.GetBool("WALG_STORE_ALL_CORRUPT_BLOCKS");
  s.without_files_metadata = config.GetBool("WALG_WITHOUT_FILES_METADATA");
  if (config.Has("WALG_SENTINEL_USER_DATA")) {
    s.sentinel_user_data = config.GetString("WALG_SENTINEL_USER_DATA");
    if (!nlohmann::json::accept(s.sentinel_user_data)) {
      config.ThrowInvalid("WALG_SENTINEL_USER_DATA",
                          fmt::format("invalid value '{}'; expected JSON, e.g. {{\"owner\": "
                                      "\"team-a\"}} or \"a string in quotes\"",
                                      s.sentinel_user_data));
    }
  }
  s.alive_check_interval = GetMilliseconds(config, "WALG_ALIVE_CHECK_INTERVAL");
  s.archive_check = config.GetBool("WALNUT_ARCHIVE_CHECK");
  s.delete_pending_age = GetMilliseconds(config, "WALNUT_DELETE_PENDING_AGE");
  if (s.delete_pending_age.count() < 0) {
    config.ThrowInvalid("WALNUT_DELETE_PENDING_AGE", "must not be negative (0s: no grace)");
  }
  if (config.Has("WALG_STOP_BACKUP_TIMEOUT")) {
    s.stop_backup_timeout = GetMilliseconds(config, "WALG_STOP_BACKUP_TIMEOUT");
  }
  s.use_reverse_unpack = config.GetBool("WALG_USE_REVERSE_UNPACK");
  s.skip_redundant_tars = config.GetBool("WALG_SKIP_REDUNDANT_TARS");

  s.log_level = config.GetEnum("WALG_LOG_LEVEL");
  if (config.Has("WALG_LOG_DESTINATION"))
    s.log_destination = config.GetString("WALG_LOG_DESTINATION");
  return s;
}

}  // namespace walnut
