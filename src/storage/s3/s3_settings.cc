#include "storage/s3/s3_settings.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include <fmt/format.h>

#include "common/error.h"
#include "net/global_init.h"
#include "net/url.h"
#include "storage/s3/s3_storage.h"
#include "storage/storage_url.h"

// The names, defaults and aliases follow WAL-G's pkg/storages/s3/configure.go (SettingList).
// WAL-G reads every storage setting X as WALG_X, then WALE_X, then X
// (internal/storage_adapter.go loadSettings), so those get all three spellings here.

namespace walnut::s3 {
namespace {

using K = SettingKind;

constexpr uint64_t kMinPartSize = 5u << 20;    // S3 rejects smaller parts (EntityTooSmall)
constexpr uint64_t kMaxPartSize = 5ull << 30;  // and larger ones

#define WALNUT_STATIC_KEYS_ONLY                                                                 \
  " is not supported yet: walnut signs with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with " \
  "AWS_SESSION_TOKEN for temporary credentials); set those instead"
constexpr std::string_view kRoleRefusal = "assuming a role" WALNUT_STATIC_KEYS_ONLY;
constexpr std::string_view kSharedFilesRefusal =
    "the AWS shared credentials files" WALNUT_STATIC_KEYS_ONLY;
constexpr std::string_view kYandexRefusal = "Yandex Cloud session tokens" WALNUT_STATIC_KEYS_ONLY;
#undef WALNUT_STATIC_KEYS_ONLY

std::vector<SettingSpec> BuildSpecs() {
  return {
      DefineSetting("WALG_S3_PREFIX", K::kString, "S3 storage, s3://bucket/path")
          .Alias("WALE_S3_PREFIX")
          .Implemented(),
      DefineSetting("AWS_ACCESS_KEY_ID", K::kString, "S3 access key id")
          .StorageKey("AWS_ACCESS_KEY_ID")
          .StorageKey("AWS_ACCESS_KEY")
          .Secret()
          .Implemented(),
      DefineSetting("AWS_SECRET_ACCESS_KEY", K::kString, "S3 secret access key")
          .StorageKey("AWS_SECRET_ACCESS_KEY")
          .StorageKey("AWS_SECRET_KEY")
          .Secret()
          .Implemented(),
      DefineSetting("AWS_SESSION_TOKEN", K::kString, "S3 session token for temporary credentials")
          .StorageKey("AWS_SESSION_TOKEN")
          .Secret()
          .Implemented(),
      DefineSetting("WALNUT_S3_ANONYMOUS", K::kBool,
                    "send unsigned requests (a public bucket); without it, missing credentials "
                    "are an error")
          .Default("false")
          .Implemented(),
      DefineSetting("AWS_REGION", K::kString,
                    "S3 region (default: AWS_DEFAULT_REGION, else us-east-1)")
          .StorageKey("AWS_REGION")
          .Implemented(),
      DefineSetting("AWS_DEFAULT_REGION", K::kString, "S3 region when AWS_REGION is not set")
          .Implemented(),
      DefineSetting("AWS_ENDPOINT", K::kString,
                    "S3-compatible endpoint URL, e.g. http://127.0.0.1:9000")
          .StorageKey("AWS_ENDPOINT")
          .Implemented(),
      DefineSetting("AWS_S3_FORCE_PATH_STYLE", K::kBool,
                    "path-style bucket addressing (MinIO, Ceph)")
          .StorageKey("AWS_S3_FORCE_PATH_STYLE")
          .Default("false")
          .Implemented(),
      DefineSetting("AWS_DUAL_STACK", K::kBool,
                    "use AWS's dual-stack (IPv4 and IPv6) S3 endpoint when AWS_ENDPOINT is unset")
          .Default("false")
          .Implemented(),
      DefineSetting("AWS_ROLE_ARN", K::kString, "IAM role to assume")
          .StorageKey("AWS_ROLE_ARN")
          .Refused(kRoleRefusal),
      DefineSetting("AWS_ROLE_SESSION_NAME", K::kString, "session name for the assumed role")
          .StorageKey("AWS_ROLE_SESSION_NAME")
          .Refused(kRoleRefusal),
      DefineSetting("AWS_PROFILE", K::kString, "profile in the AWS shared credentials file")
          .Refused(kSharedFilesRefusal),
      DefineSetting("AWS_SHARED_CREDENTIALS_FILE", K::kString, "AWS shared credentials file")
          .Refused(kSharedFilesRefusal),
      DefineSetting("AWS_CONFIG_FILE", K::kString, "AWS config file").Refused(kSharedFilesRefusal),
      DefineSetting("AWS_CA_BUNDLE", K::kString,
                    "CA bundle for TLS to S3 when WALG_S3_CA_CERT_FILE is unset")
          .Implemented(),
      DefineSetting("AWS_DEFAULT_OUTPUT", K::kString, "AWS CLI output format")
          .Warned("an AWS CLI setting; walnut prints its own formats"),
      DefineSetting("WALG_S3_STORAGE_CLASS", K::kString, "storage class of uploaded objects")
          .StorageKey("S3_STORAGE_CLASS")
          .Default("STANDARD")
          .Implemented(),
      DefineSetting("WALG_S3_SSE", K::kEnum,
                    "server-side encryption: AES256, aws:kms or aws:kms:dsse")
          .StorageKey("S3_SSE")
          .Accepts({"AES256", "aws:kms", "aws:kms:dsse"})
          .Implemented(),
      DefineSetting("WALG_S3_SSE_KMS_ID", K::kString, "KMS key id for WALG_S3_SSE=aws:kms")
          .StorageKey("S3_SSE_KMS_ID")
          .Implemented(),
      DefineSetting("WALG_S3_SSE_C", K::kString,
                    "customer-provided server-side encryption key (SSE-C)")
          .StorageKey("S3_SSE_C")
          .Secret()
          .Refused("customer-provided keys (SSE-C) are not supported yet; use WALG_S3_SSE=aws:kms "
                   "or client-side encryption (WALG_LIBSODIUM_KEY)"),
      DefineSetting("WALG_S3_CA_CERT_FILE", K::kString, "CA certificate file for the S3 endpoint")
          .StorageKey("S3_CA_CERT_FILE")
          .Implemented(),
      // 8 MiB rather than WAL-G's 20 MiB (the AWS CLI's default too): an upload buffers
      // (parts in flight + 1) parts, and this keeps one upload's memory near 32 MiB.
      DefineSetting("WALG_S3_MAX_PART_SIZE", K::kBytes, "multipart upload part size")
          .StorageKey("S3_MAX_PART_SIZE")
          .Default("8388608")
          .Implemented(),
      DefineSetting("WALG_S3_MAX_RETRIES", K::kInt, "retries of a failed S3 request")
          .StorageKey("S3_MAX_RETRIES")
          .Default("15")
          .Implemented(),
      // Per request (a part upload, a ranged GET chunk, a list page), not per command: a dead
      // endpoint fails a command within it, and a long backup rides out a shorter outage.
      DefineSetting("WALNUT_STORAGE_RETRY_TIMEOUT", K::kDuration,
                    "how long one storage request may keep failing and being retried before the "
                    "command gives up")
          .Default("30s")
          .Implemented(),
      DefineSetting("WALG_S3_USE_LIST_OBJECTS_V1", K::kBool,
                    "list with ListObjects v1 (old Ceph etc.)")
          .StorageKey("S3_USE_LIST_OBJECTS_V1")
          .Default("false")
          .Refused("ListObjects v1 is not supported yet; unset it (walnut lists with "
                   "ListObjectsV2)"),
      DefineSetting("WALG_S3_RANGE_BATCH_ENABLED", K::kBool,
                    "resume interrupted downloads with Range (always, in walnut)")
          .StorageKey("S3_RANGE_BATCH_ENABLED")
          .Default("true")
          .Warned("walnut always reads objects in ranges and resumes an interrupted one"),
      DefineSetting("WALG_S3_RANGE_MAX_RETRIES", K::kInt, "retries of a ranged download")
          .StorageKey("S3_RANGE_MAX_RETRIES")
          .Default("10")
          .Warned("walnut retries each ranged read as WALG_S3_MAX_RETRIES says"),
      DefineSetting("WALG_S3_LOG_LEVEL", K::kString, "S3 client debug logging")
          .StorageKey("S3_LOG_LEVEL")
          .Warned("walnut logs its S3 requests with WALG_LOG_LEVEL=DEVEL"),
      DefineSetting("WALG_S3_ENDPOINT_SOURCE", K::kString, "URL that returns the S3 endpoint host")
          .StorageKey("S3_ENDPOINT_SOURCE")
          .Refused("endpoint discovery is not supported; set AWS_ENDPOINT to the endpoint"),
      DefineSetting("WALG_S3_ENDPOINT_PORT", K::kString, "port for WALG_S3_ENDPOINT_SOURCE hosts")
          .StorageKey("S3_ENDPOINT_PORT")
          .Default("443")
          .Warned("only used with WALG_S3_ENDPOINT_SOURCE, which walnut refuses; put the port "
                  "in AWS_ENDPOINT"),
      DefineSetting("S3_ENDPOINT_PROTOCOL", K::kString,
                    "protocol for WALG_S3_ENDPOINT_SOURCE hosts")
          .StorageKey("S3_ENDPOINT_PROTOCOL")
          .Warned("only used with WALG_S3_ENDPOINT_SOURCE, which walnut refuses; put the scheme "
                  "in AWS_ENDPOINT"),
      DefineSetting("S3_SKIP_VALIDATION", K::kBool,
                    "skip the credential check at start (walnut never checks at start)")
          .StorageKey("S3_SKIP_VALIDATION")
          .Default("true")
          .Warned("walnut does not check credentials before its first request; a bad key fails "
                  "that request"),
      DefineSetting("S3_USE_YC_SESSION_TOKEN", K::kString, "Yandex Cloud session token")
          .StorageKey("S3_USE_YC_SESSION_TOKEN")
          .Secret()
          .Refused(kYandexRefusal),
      DefineSetting("S3_REQUEST_ADDITIONAL_HEADERS", K::kJson,
                    "extra HTTP headers for every S3 request")
          .StorageKey("S3_REQUEST_ADDITIONAL_HEADERS")
          .Secret()
          .Refused("extra request headers are not supported yet; unset it"),
      DefineSetting("S3_MIN_THROTTLING_RETRY_DELAY", K::kInt, "minimum throttling retry delay, ms")
          .StorageKey("S3_MIN_THROTTLING_RETRY_DELAY")
          .Default("500")
          .Warned("walnut backs off from throttling (429, 503 SlowDown) as from any transient "
                  "error, with its own delays"),
      DefineSetting("S3_MAX_THROTTLING_RETRY_DELAY", K::kInt, "maximum throttling retry delay, ms")
          .StorageKey("S3_MAX_THROTTLING_RETRY_DELAY")
          .Default("300000")
          .Warned("walnut backs off from throttling (429, 503 SlowDown) as from any transient "
                  "error, with its own delays"),
      DefineSetting("S3_RETENTION_PERIOD", K::kInt, "object lock retention period, days (-1: none)")
          .StorageKey("S3_RETENTION_PERIOD")
          .Default("-1")
          .Refused("Object Lock retention is not supported yet: uploads would not be locked; "
                   "unset it (or set -1)"),
      DefineSetting("S3_RETENTION_MODE", K::kString, "object lock retention mode")
          .StorageKey("S3_RETENTION_MODE")
          .Default("GOVERNANCE")
          .Refused("Object Lock retention is not supported yet: uploads would not be locked; "
                   "unset it"),
      DefineSetting("S3_DISABLE_100_CONTINUE", K::kBool,
                    "do not send Expect: 100-continue (walnut never sends it)")
          .StorageKey("S3_DISABLE_100_CONTINUE")
          .Default("true")
          .Warned("walnut never sends Expect: 100-continue"),
      DefineSetting("S3_ENABLE_VERSIONING", K::kString, "bucket versioning handling")
          .StorageKey("S3_ENABLE_VERSIONING")
          .Refused("versioned buckets are not supported yet: delete would leave old versions "
                   "behind; unset it"),
      DefineSetting("S3_DELETE_BATCH_SIZE", K::kInt, "keys per DeleteObjects request")
          .StorageKey("S3_DELETE_BATCH_SIZE")
          .Default("1000")
          .Implemented(),
  };
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
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
  std::string_view rest = std::string_view(endpoint).substr(endpoint.find("://") + 3);
  if (rest.empty() || endpoint.find_first_of(" \t\r\n") != std::string::npos ||
      rest.front() == ':' || rest.front() == '/') {
    config.ThrowInvalid("AWS_ENDPOINT", fmt::format("invalid value '{}': expected a URL such as "
                                                    "https://s3.example.com or http://host:9000",
                                                    config.GetString("AWS_ENDPOINT")));
  }
  try {
    net::ParseEndpoint(endpoint, "AWS_ENDPOINT");
  } catch (const Error& e) {
    // The parser names the setting but not its source; say both, with the value.
    config.ThrowInvalid("AWS_ENDPOINT", fmt::format("invalid value '{}': {}",
                                                    config.GetString("AWS_ENDPOINT"), e.what()));
  }
  return endpoint;
}

void LoadCredentials(const Config& config, S3Options& o) {
  bool has_key = config.Has("AWS_ACCESS_KEY_ID");
  bool has_secret = config.Has("AWS_SECRET_ACCESS_KEY");
  bool has_token = config.Has("AWS_SESSION_TOKEN");
  bool anonymous = config.GetBool("WALNUT_S3_ANONYMOUS");
  // A key id without its secret (or the reverse) can only fail later with a confusing 403.
  if (has_key != has_secret) {
    std::string_view missing = has_key ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID";
    std::string_view present = has_key ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY";
    config.ThrowInvalid(present, fmt::format("given without {}; set both or neither", missing));
  }
  if (has_token && !has_key) {
    config.ThrowInvalid("AWS_SESSION_TOKEN",
                        "given without AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  if (anonymous && has_key) {
    config.ThrowInvalid("WALNUT_S3_ANONYMOUS",
                        "is true, but AWS_ACCESS_KEY_ID is set too; unset one of them");
  }
  if (!anonymous && !has_key) {
    // Unsigned requests to a private bucket fail with 403 at best, and a public bucket should not
    // receive someone's backups by accident.
    throw Error(ErrorCode::kInvalidArgument,
                "no S3 credentials found (tried AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in "
                "flags, the environment and the config file); set them, or set "
                "WALNUT_S3_ANONYMOUS=true to send unsigned requests to a public bucket");
  }
  if (has_key) {
    o.access_key_id = config.GetString("AWS_ACCESS_KEY_ID");
    o.secret_access_key = SecretString(config.GetString("AWS_SECRET_ACCESS_KEY"));
  }
  if (has_token) o.session_token = SecretString(config.GetString("AWS_SESSION_TOKEN"));
}

void LoadEncryption(const Config& config, S3Options& o) {
  if (config.Has("WALG_S3_SSE")) o.sse = config.GetEnum("WALG_S3_SSE");
  if (config.Has("WALG_S3_SSE_KMS_ID")) o.sse_kms_id = config.GetString("WALG_S3_SSE_KMS_ID");
  bool kms = o.sse.rfind("aws:kms", 0) == 0;
  if (kms && o.sse_kms_id.empty()) {
    config.ThrowInvalid("WALG_S3_SSE",
                        fmt::format("{} needs WALG_S3_SSE_KMS_ID (the KMS key id)", o.sse));
  }
  if (!kms && !o.sse_kms_id.empty()) {
    config.ThrowInvalid("WALG_S3_SSE_KMS_ID",
                        "given, but WALG_S3_SSE is not aws:kms; set WALG_S3_SSE=aws:kms or unset "
                        "WALG_S3_SSE_KMS_ID");
  }
}

std::string LoadStorageClass(const Config& config) {
  std::string storage_class = config.GetString("WALG_S3_STORAGE_CLASS");
  for (char& c : storage_class) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  bool valid =
      !storage_class.empty() && std::all_of(storage_class.begin(), storage_class.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
      });
  if (!valid) {
    config.ThrowInvalid("WALG_S3_STORAGE_CLASS",
                        fmt::format("invalid value '{}'; expected a storage class such as "
                                    "STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, "
                                    "GLACIER_IR",
                                    config.GetString("WALG_S3_STORAGE_CLASS")));
  }
  return storage_class;
}

std::chrono::milliseconds LoadRetryBudget(const Config& config) {
  auto budget = std::chrono::duration_cast<std::chrono::milliseconds>(
      config.GetDuration("WALNUT_STORAGE_RETRY_TIMEOUT"));
  if (budget.count() <= 0) {
    config.ThrowInvalid("WALNUT_STORAGE_RETRY_TIMEOUT",
                        "must be a positive duration such as 30s (how long one storage request "
                        "may keep being retried)");
  }
  return budget;
}

}  // namespace

std::span<const SettingSpec> S3SettingSpecs() {
  static const std::vector<SettingSpec> specs = BuildSpecs();
  return specs;
}

size_t PartsInFlight(int upload_concurrency, uint64_t part_size) {
  uint64_t buffers = kUploadBufferBudget / std::max<uint64_t>(1, part_size);
  uint64_t by_memory = buffers > 1 ? buffers - 1 : 1;
  uint64_t parts =
      std::min<uint64_t>(static_cast<uint64_t>(std::max(1, upload_concurrency)), by_memory);
  return static_cast<size_t>(std::max<uint64_t>(1, parts));
}

S3Options S3OptionsFromConfig(const Config& config, const Settings& common) {
  S3Options o;
  std::string_view setting = config.SpelledName("WALG_S3_PREFIX");
  StorageUrl url = ParseStorageUrl(setting, config.GetString("WALG_S3_PREFIX"), "s3");
  o.bucket = std::move(url.host);
  o.root = std::move(url.root);

  if (config.Has("AWS_REGION")) {
    o.region = config.GetString("AWS_REGION");
  } else if (config.Has("AWS_DEFAULT_REGION")) {
    o.region = config.GetString("AWS_DEFAULT_REGION");
  }
  if (config.Has("AWS_ENDPOINT")) {
    o.endpoint = NormalizeEndpoint(config);
  } else if (config.GetBool("AWS_DUAL_STACK")) {
    // AWS's dual-stack name (docs.aws.amazon.com/AmazonS3/latest/userguide/dual-stack-endpoints).
    o.endpoint = fmt::format("https://s3.dualstack.{}.amazonaws.com", o.region);
  }
  o.force_path_style = config.GetBool("AWS_S3_FORCE_PATH_STYLE");
  LoadCredentials(config, o);
  o.storage_class = LoadStorageClass(config);
  LoadEncryption(config, o);

  if (config.Has("WALG_S3_CA_CERT_FILE")) {
    o.ca_cert_file = config.GetString("WALG_S3_CA_CERT_FILE");
  } else if (config.Has("AWS_CA_BUNDLE")) {
    o.ca_cert_file = config.GetString("AWS_CA_BUNDLE");
  }
  o.max_part_size =
      static_cast<size_t>(config.GetBytes("WALG_S3_MAX_PART_SIZE", kMinPartSize, kMaxPartSize));
  o.upload_concurrency = PartsInFlight(common.upload_concurrency, o.max_part_size);
  // WALG_S3_MAX_RETRIES counts retries; the policy counts attempts (the first one included).
  o.retry.max_attempts = static_cast<int>(config.GetInt("WALG_S3_MAX_RETRIES", 0, 1000)) + 1;
  o.retry.budget = LoadRetryBudget(config);
  o.delete_batch_size = static_cast<size_t>(config.GetInt("S3_DELETE_BATCH_SIZE", 1, 1000));
  return o;
}

std::unique_ptr<Storage> OpenS3Storage(const Config& config, const Settings& common) {
  S3Options options = S3OptionsFromConfig(config, common);
  // libcurl and OpenSSL only when S3 is used: their initialisation costs a few MiB of resident
  // memory that wal-push to a directory should not pay.
  net::GlobalInit();
  return std::make_unique<S3Storage>(std::move(options));
}

}  // namespace walnut::s3
