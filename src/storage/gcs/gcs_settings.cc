#include "storage/gcs/gcs_settings.h"

#include <optional>
#include <vector>

#include <fmt/format.h>
#include <string.h>  // explicit_bzero

#include "common/base64.h"
#include "common/error.h"
#include "net/url.h"
#include "storage/gcs/gcs_storage.h"
#include "storage/storage_url.h"

// Names, defaults and meanings from WAL-G's pkg/storages/gcs/configure.go; WAL-G reads each
// storage setting X as WALG_X, WALE_X and X (StorageKey).

namespace walnut::gcs {
namespace {

using K = SettingKind;

constexpr uint64_t kChunkAlignment = 256u << 10;  // resumable chunks are multiples of 256 KiB

// "host:port" or "http(s)://host:port" as the Google SDKs take STORAGE_EMULATOR_HOST and
// GCE_METADATA_HOST: a URL without a path.
std::string EndpointSetting(const Config& config, std::string_view name) {
  std::string value = config.GetString(name);
  if (value.find("://") == std::string::npos) value = "http://" + value;
  net::Endpoint endpoint = net::ParseEndpoint(value, name);
  if (!endpoint.base_path.empty()) {
    config.ThrowInvalid(name, "must be host:port or http://host:port, without a path");
  }
  return fmt::format("{}://{}", endpoint.scheme, endpoint.HostHeader());
}

SecretString DecodeEncryptionKey(const Config& config) {
  std::optional<std::string> raw = Base64Decode(config.GetString("GCS_ENCRYPTION_KEY"));
  if (!raw || raw->size() != 32) {
    if (raw) explicit_bzero(raw->data(), raw->size());
    config.ThrowInvalid("GCS_ENCRYPTION_KEY",
                        "must be the base64 of a 32-byte AES-256 key (as `openssl rand -base64 "
                        "32` prints)");
  }
  return SecretString(std::move(*raw));
}

// Go's path.Clean of a relative path, as WAL-G's JoinPath applies it: no empty or "." segments,
// ".." removes the segment before it.
std::string CleanPath(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (std::string_view part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

}  // namespace

std::span<const SettingSpec> GcsSettingSpecs() {
  static const std::vector<SettingSpec> specs = {
      DefineSetting("WALG_GS_PREFIX", K::kString, "Google Cloud Storage, gs://bucket/path")
          .Alias("WALE_GS_PREFIX")
          .Implemented(),
      DefineSetting("GOOGLE_APPLICATION_CREDENTIALS", K::kString,
                    "GCS credentials: a service-account key or authorized_user JSON file "
                    "(unset: the GCE/GKE metadata server)")
          .StorageKey("GOOGLE_APPLICATION_CREDENTIALS")
          .Implemented(),
      DefineSetting("GCS_CONTEXT_TIMEOUT", K::kInt,
                    "seconds one GCS operation (a stat, a listing, a delete, a whole upload) may "
                    "take")
          .StorageKey("GCS_CONTEXT_TIMEOUT")
          .Default("3600")
          .Implemented(),
      DefineSetting("GCS_NORMALIZE_PREFIX", K::kBool,
                    "clean the path of WALG_GS_PREFIX (false: keep it as written, for WAL-E's "
                    "prefixes with doubled slashes)")
          .StorageKey("GCS_NORMALIZE_PREFIX")
          .Default("true")
          .Implemented(),
      DefineSetting("GCS_ENCRYPTION_KEY", K::kString,
                    "GCS customer-supplied encryption key (base64 of 32 bytes)")
          .StorageKey("GCS_ENCRYPTION_KEY")
          .Secret()
          .Implemented(),
      DefineSetting("GCS_MAX_CHUNK_SIZE", K::kInt,
                    "bytes per resumable upload chunk (rounded down to a multiple of 256 KiB); "
                    "smaller objects go in one request")
          .StorageKey("GCS_MAX_CHUNK_SIZE")
          .Default("52428800")
          .Implemented(),
      DefineSetting("GCS_MAX_RETRIES", K::kInt, "retries of a failed GCS request")
          .StorageKey("GCS_MAX_RETRIES")
          .Default("16")
          .Implemented(),
      DefineSetting("STORAGE_EMULATOR_HOST", K::kString,
                    "GCS JSON API endpoint instead of https://storage.googleapis.com "
                    "(host:port or http://host:port, as Google's SDKs read it)")
          .Implemented(),
      DefineSetting("GCE_METADATA_HOST", K::kString,
                    "GCE metadata server instead of metadata.google.internal (host:port)")
          .Implemented(),
  };
  return specs;
}

GcsOptions GcsOptionsFromConfig(const Config& config, const Settings& common) {
  GcsOptions o;
  std::string_view setting = config.SpelledName("WALG_GS_PREFIX");
  std::string prefix = config.GetString("WALG_GS_PREFIX");
  StorageUrl url = ParseStorageUrl(setting, prefix, "gs");
  o.bucket = std::move(url.host);
  if (config.GetBool("GCS_NORMALIZE_PREFIX")) {
    o.root = CleanPath(url.root);
  } else {
    // As written after the bucket, one leading '/' dropped (WAL-G's ParsePrefixAsURL).
    size_t path_start = prefix.find('/', prefix.find("://") + 3);
    o.root = path_start == std::string::npos ? "" : prefix.substr(path_start + 1);
  }
  if (!o.root.empty() && !o.root.ends_with('/')) o.root += '/';

  if (config.Has("GOOGLE_APPLICATION_CREDENTIALS")) {
    o.credentials_file = config.GetString("GOOGLE_APPLICATION_CREDENTIALS");
  }
  if (config.Has("STORAGE_EMULATOR_HOST")) {
    o.endpoint = EndpointSetting(config, "STORAGE_EMULATOR_HOST");
  }
  if (config.Has("GCE_METADATA_HOST")) {
    o.metadata_endpoint = EndpointSetting(config, "GCE_METADATA_HOST");
  }
  if (config.Has("GCS_ENCRYPTION_KEY")) o.encryption_key = DecodeEncryptionKey(config);

  int64_t chunk =
      config.GetInt("GCS_MAX_CHUNK_SIZE", static_cast<int64_t>(kChunkAlignment), int64_t{5} << 30);
  o.chunk_size = static_cast<uint64_t>(chunk) / kChunkAlignment * kChunkAlignment;
  o.max_attempts = static_cast<int>(config.GetInt("GCS_MAX_RETRIES", 0, 100)) + 1;
  o.operation_timeout =
      std::chrono::seconds(config.GetInt("GCS_CONTEXT_TIMEOUT", 1, int64_t{30} * 24 * 3600));
  o.retry_budget = common.storage_retry_timeout;
  return o;
}

std::unique_ptr<Storage> OpenGcsStorage(const Config& config, const Settings& common) {
  return std::make_unique<GcsStorage>(GcsOptionsFromConfig(config, common));
}

}  // namespace walnut::gcs
