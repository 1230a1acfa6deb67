#include "storage/s3/s3_settings.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include "common/error.h"
#include "net/global_init.h"
#include "net/url.h"
#include "storage/s3/bucket_region.h"
#include "storage/s3/credentials/credential_chain.h"
#include "storage/s3/request_headers.h"
#include "storage/s3/s3_sse_c.h"
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

constexpr std::string_view kYandexRefusal =
    "Yandex Cloud session tokens are not supported yet; use AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY, or another AWS credentials source (a profile, a role)";

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
                    "S3 region (default: AWS_DEFAULT_REGION, else the bucket's own region on AWS, "
                    "us-east-1 elsewhere)")
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
      DefineSetting("AWS_ROLE_ARN", K::kString,
                    "IAM role to assume (with AWS_WEB_IDENTITY_TOKEN_FILE, or with the "
                    "credentials of the first source found)")
          .StorageKey("AWS_ROLE_ARN")
          .Implemented(),
      DefineSetting("AWS_ROLE_SESSION_NAME", K::kString,
                    "session name for the assumed role (default walnut-<unix time>)")
          .StorageKey("AWS_ROLE_SESSION_NAME")
          .Implemented(),
      DefineSetting("AWS_WEB_IDENTITY_TOKEN_FILE", K::kString,
                    "file with the web identity token (EKS IAM roles for service accounts), "
                    "exchanged with STS AssumeRoleWithWebIdentity for AWS_ROLE_ARN")
          .Implemented(),
      DefineSetting("AWS_ENDPOINT_URL_STS", K::kString,
                    "STS endpoint URL (default https://sts.<region>.amazonaws.com)")
          .Implemented(),
      DefineSetting("AWS_PROFILE", K::kString,
                    "profile in the AWS shared credentials and config files (default: default)")
          .Implemented(),
      DefineSetting("AWS_SHARED_CREDENTIALS_FILE", K::kString,
                    "AWS shared credentials file (default ~/.aws/credentials)")
          .Implemented(),
      DefineSetting("AWS_CONFIG_FILE", K::kString, "AWS config file (default ~/.aws/config)")
          .Implemented(),
      DefineSetting("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", K::kString,
                    "ECS task role: path of the credentials at http://169.254.170.2")
          .Implemented(),
      DefineSetting("AWS_CONTAINER_CREDENTIALS_FULL_URI", K::kString,
                    "container credentials URL (EKS Pod Identity, ECS)")
          .Implemented(),
      DefineSetting("AWS_CONTAINER_AUTHORIZATION_TOKEN", K::kString,
                    "Authorization header for the container credentials endpoint")
          .Secret()
          .Implemented(),
      DefineSetting("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", K::kString,
                    "file with the Authorization header for the container credentials endpoint")
          .Implemented(),
      DefineSetting("AWS_EC2_METADATA_SERVICE_ENDPOINT", K::kString,
                    "EC2 instance metadata endpoint (default http://169.254.169.254)")
          .Implemented(),
      DefineSetting("AWS_EC2_METADATA_DISABLED", K::kBool,
                    "do not ask the EC2 instance metadata for credentials")
          .Default("false")
          .Implemented(),
      DefineSetting("AWS_EC2_METADATA_V1_DISABLED", K::kBool,
                    "no IMDSv1 fallback when the EC2 instance metadata token request fails")
          .Default("false")
          .Implemented(),
      DefineSetting("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", K::kEnum,
                    "EC2 instance metadata endpoint when AWS_EC2_METADATA_SERVICE_ENDPOINT is "
                    "unset: IPv4 (http://169.254.169.254) or IPv6 (http://[fd00:ec2::254])")
          .Accepts({"IPv4", "IPv6"})
          .Default("IPv4")
          .Implemented(),
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
                    "customer-provided server-side encryption key (SSE-C): 32 bytes or their "
                    "base64")
          .StorageKey("S3_SSE_C")
          .Secret()
          .Implemented(),
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
      DefineSetting("WALG_S3_USE_LIST_OBJECTS_V1", K::kBool,
                    "list with ListObjects v1 (old Ceph etc.)")
          .StorageKey("S3_USE_LIST_OBJECTS_V1")
          .Default("false")
          .Implemented(),
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
                    "extra HTTP headers for every S3 request, as a JSON object {\"name\": "
                    "\"value\"}")
          .StorageKey("S3_REQUEST_ADDITIONAL_HEADERS")
          .Secret()
          .Implemented(),
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
      DefineSetting("S3_RETENTION_PERIOD", K::kInt,
                    "Object Lock: days every uploaded object stays locked (-1: none)")
          .StorageKey("S3_RETENTION_PERIOD")
          .Default("-1")
          .Implemented(),
      DefineSetting("S3_RETENTION_MODE", K::kEnum,
                    "Object Lock mode of uploaded objects: GOVERNANCE or COMPLIANCE")
          .StorageKey("S3_RETENTION_MODE")
          .Accepts({"GOVERNANCE", "COMPLIANCE"})
          .Default("GOVERNANCE")
          .Implemented(),
      DefineSetting("S3_DISABLE_100_CONTINUE", K::kBool,
                    "send request bodies of 2 MiB and more at once instead of after the server's "
                    "\"100 Continue\"")
          .StorageKey("S3_DISABLE_100_CONTINUE")
          .Default("false")
          .Implemented(),
      DefineSetting("S3_ENABLE_VERSIONING", K::kEnum,
                    "whether delete removes every version of an object: enabled, disabled, or "
                    "unset to ask the bucket")
          .StorageKey("S3_ENABLE_VERSIONING")
          .Accepts({"enabled", "disabled", "true", "false"})
          .Implemented(),
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

std::string OptionalString(const Config& config, std::string_view name) {
  return config.Has(name) ? config.GetString(name) : std::string();
}

// $HOME, else the user's passwd entry: where ~/.aws is.
std::string HomeDirectory() {
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return home;
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr) {
    return pw->pw_dir;
  }
  return "";
}

// Every credentials setting is read whichever source wins, so a typo in one is reported.
CredentialChainSettings LoadChainSettings(const Config& config, const S3Options& o) {
  CredentialChainSettings c;
  if (config.Has("AWS_ACCESS_KEY_ID")) {
    c.env.access_key_id = config.GetString("AWS_ACCESS_KEY_ID");
    c.env.secret_access_key = SecretString(config.GetString("AWS_SECRET_ACCESS_KEY"));
    c.env.session_token = SecretString(OptionalString(config, "AWS_SESSION_TOKEN"));
  }
  c.role_arn = OptionalString(config, "AWS_ROLE_ARN");
  c.role_session_name = OptionalString(config, "AWS_ROLE_SESSION_NAME");
  c.web_identity_token_file = OptionalString(config, "AWS_WEB_IDENTITY_TOKEN_FILE");
  c.profile_set = config.Has("AWS_PROFILE");
  if (c.profile_set) c.profile = config.GetString("AWS_PROFILE");
  c.shared_credentials_file = OptionalString(config, "AWS_SHARED_CREDENTIALS_FILE");
  c.config_file = OptionalString(config, "AWS_CONFIG_FILE");
  c.home = HomeDirectory();
  c.container_relative_uri = OptionalString(config, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  c.container_full_uri = OptionalString(config, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  c.container_token = SecretString(OptionalString(config, "AWS_CONTAINER_AUTHORIZATION_TOKEN"));
  c.container_token_file = OptionalString(config, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  bool ipv6 = config.GetEnum("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE") == "IPv6";
  c.imds_endpoint = config.Has("AWS_EC2_METADATA_SERVICE_ENDPOINT")
                        ? config.GetString("AWS_EC2_METADATA_SERVICE_ENDPOINT")
                        : std::string(ipv6 ? kImdsIpv6Endpoint : kImdsIpv4Endpoint);
  c.imds_disabled = config.GetBool("AWS_EC2_METADATA_DISABLED");
  c.imds_v1_disabled = config.GetBool("AWS_EC2_METADATA_V1_DISABLED");
  // AWS_REGION unset on AWS: the bucket's region is found later, STS's is the SDKs' default.
  c.sts.region = o.region.empty() ? std::string(kDefaultRegion) : o.region;
  c.sts.endpoint = config.Has("AWS_ENDPOINT_URL_STS") ? config.GetString("AWS_ENDPOINT_URL_STS")
                                                      : RegionalStsEndpoint(c.sts.region);
  try {
    net::ParseEndpoint(c.sts.endpoint, "AWS_ENDPOINT_URL_STS");
  } catch (const Error& e) {
    config.ThrowInvalid("AWS_ENDPOINT_URL_STS", e.what());
  }
  c.sts.ca_cert_file = o.ca_cert_file;
  return c;
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
  CredentialChainSettings chain = LoadChainSettings(config, o);
  if (anonymous) {
    // Unsigned requests only when asked for: a public bucket should not receive someone's
    // backups by accident.
    o.credentials = std::make_shared<StaticCredentialsProvider>(
        Credentials{}, "none (WALNUT_S3_ANONYMOUS=true: unsigned requests)");
    return;
  }
  if (has_key && chain.role_arn.empty()) {
    o.access_key_id = chain.env.access_key_id;
    o.secret_access_key = chain.env.secret_access_key;
    o.session_token = chain.env.session_token;
  }
  // Resolved when the storage opens (OpenS3Storage), not here: resolving may ask the network.
  o.credentials = std::make_shared<CredentialChainProvider>(std::move(chain));
}

void LoadEncryption(const Config& config, S3Options& o) {
  if (config.Has("WALG_S3_SSE")) o.sse = config.GetEnum("WALG_S3_SSE");
  if (config.Has("WALG_S3_SSE_C")) {
    try {
      o.sse_customer_key = ParseSseCustomerKey(config.GetString("WALG_S3_SSE_C"));
    } catch (const Error&) {
      config.ThrowInvalid("WALG_S3_SSE_C",
                          "must be a 256-bit key: 32 bytes, or their base64 (44 "
                          "characters, as `openssl rand -base64 32` prints)");
    }
    // SSE-C is AES256 only; WAL-G takes WALG_S3_SSE as the customer key's algorithm.
    if (!o.sse.empty() && o.sse != "AES256") {
      config.ThrowInvalid("WALG_S3_SSE", fmt::format("is {}, but WALG_S3_SSE_C (a customer key) is "
                                                     "set too; SSE-C needs AES256: unset one",
                                                     o.sse));
    }
  }
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

// S3_RETENTION_PERIOD / S3_RETENTION_MODE, as WAL-G: a period in days, -1 (the default) for none.
void LoadRetention(const Config& config, S3Options& o) {
  o.retention_days = static_cast<int>(config.GetInt("S3_RETENTION_PERIOD", -1, 36500));
  if (o.retention_days == 0) {
    config.ThrowInvalid("S3_RETENTION_PERIOD",
                        "is 0: give the days uploaded objects stay locked (1 or more), or -1 for "
                        "no Object Lock");
  }
  o.retention_mode = config.GetEnum("S3_RETENTION_MODE");
  if (o.retention_days < 0 && config.IsExplicit("S3_RETENTION_MODE")) {
    config.ThrowInvalid("S3_RETENTION_MODE",
                        "is set, but S3_RETENTION_PERIOD is not: set the period in days (or unset "
                        "the mode)");
  }
}

S3Options::Versioning LoadVersioning(const Config& config) {
  if (!config.Has("S3_ENABLE_VERSIONING")) return S3Options::Versioning::kDetect;
  std::string value = config.GetEnum("S3_ENABLE_VERSIONING");
  return value == "enabled" || value == "true" ? S3Options::Versioning::kEnabled
                                               : S3Options::Versioning::kDisabled;
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

// AWS_REGION, else AWS_DEFAULT_REGION; unset: "" (ask the bucket) on AWS, us-east-1 on other
// servers, as WAL-G (pkg/storages/s3/session.go detectAWSRegion).
std::string LoadRegion(const Config& config, const std::string& endpoint) {
  for (std::string_view name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (config.Has(name) && !config.GetString(name).empty()) return config.GetString(name);
  }
  return IsAwsEndpoint(endpoint) ? std::string() : std::string(kDefaultRegion);
}

net::HttpHeaders LoadAdditionalHeaders(const Config& config) {
  if (!config.Has("S3_REQUEST_ADDITIONAL_HEADERS")) return {};
  try {
    return ParseAdditionalHeaders(config.GetString("S3_REQUEST_ADDITIONAL_HEADERS"));
  } catch (const Error& e) {
    config.ThrowInvalid("S3_REQUEST_ADDITIONAL_HEADERS", e.what());
  }
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

  if (config.Has("AWS_ENDPOINT")) o.endpoint = NormalizeEndpoint(config);
  // Without AWS_ENDPOINT: s3.dualstack.REGION.amazonaws.com (bucket_region.h AddressingFor).
  o.dual_stack = config.GetBool("AWS_DUAL_STACK");
  o.region = LoadRegion(config, o.endpoint);
  o.force_path_style = config.GetBool("AWS_S3_FORCE_PATH_STYLE");
  o.storage_class = LoadStorageClass(config);
  LoadEncryption(config, o);
  LoadRetention(config, o);
  o.versioning = LoadVersioning(config);

  // As WAL-G, whose AWS SDK reads AWS_CA_BUNDLE when no WALG_S3_CA_CERT_FILE is given.
  if (config.Has("WALG_S3_CA_CERT_FILE")) {
    o.ca_cert_file = config.GetString("WALG_S3_CA_CERT_FILE");
  } else if (config.Has("AWS_CA_BUNDLE")) {
    o.ca_cert_file = config.GetString("AWS_CA_BUNDLE");
  }
  LoadCredentials(config, o);  // after the CA file, which STS uses too
  o.max_part_size =
      static_cast<size_t>(config.GetBytes("WALG_S3_MAX_PART_SIZE", kMinPartSize, kMaxPartSize));
  o.upload_concurrency = PartsInFlight(common.upload_concurrency, o.max_part_size);
  // WALG_S3_MAX_RETRIES counts retries; the policy counts attempts (the first one included).
  o.retry.max_attempts = static_cast<int>(config.GetInt("WALG_S3_MAX_RETRIES", 0, 1000)) + 1;
  o.retry.budget = common.storage_retry_timeout;
  o.delete_batch_size = static_cast<size_t>(config.GetInt("S3_DELETE_BATCH_SIZE", 1, 1000));
  o.additional_headers = LoadAdditionalHeaders(config);
  o.expect_continue = !config.GetBool("S3_DISABLE_100_CONTINUE");
  o.list_objects_v1 = config.GetBool("WALG_S3_USE_LIST_OBJECTS_V1");
  return o;
}

std::unique_ptr<Storage> OpenS3Storage(const Config& config, const Settings& common) {
  S3Options options = S3OptionsFromConfig(config, common);
  // libcurl and OpenSSL only when S3 is used: their initialisation costs a few MiB of resident
  // memory that wal-push to a directory should not pay.
  net::GlobalInit();
  // The credentials chain now: a command without credentials stops before any work.
  options.credentials->Current();
  return std::make_unique<S3Storage>(std::move(options));
}

}  // namespace walnut::s3
