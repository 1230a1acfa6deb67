#include "storage/registry/walg_backends_not_yet.h"

#include <vector>

// Names and aliases from WAL-G's pkg/storages/{oss,gcs,swift}/configure.go.

namespace walnut {
namespace {

using K = SettingKind;

#define WALNUT_NOT_YET(what)                                                                 \
  what " storage is not supported by walnut yet; use WALG_FILE_PREFIX (a local directory), " \
       "WALG_S3_PREFIX (S3 and S3-compatible stores), WALG_GS_PREFIX, WALG_AZ_PREFIX or "    \
       "WALG_SSH_PREFIX"
#define WALNUT_ONLY_WITH(what) "only used by " what " storage, which walnut does not support yet"

}  // namespace

std::span<const SettingSpec> OssSettingSpecs() {
  constexpr std::string_view kOnly = WALNUT_ONLY_WITH("Alibaba OSS");
  static const std::vector<SettingSpec> specs = {
      DefineSetting("WALG_OSS_PREFIX", K::kString, "Alibaba OSS storage, oss://bucket/path")
          .Alias("WALE_OSS_PREFIX")
          .Refused(WALNUT_NOT_YET("Alibaba OSS")),
      DefineSetting("OSS_ACCESS_KEY_ID", K::kString, "OSS access key id")
          .StorageKey("OSS_ACCESS_KEY_ID")
          .Secret()
          .Warned(kOnly),
      DefineSetting("OSS_ACCESS_KEY_SECRET", K::kString, "OSS access key secret")
          .StorageKey("OSS_ACCESS_KEY_SECRET")
          .Secret()
          .Warned(kOnly),
      DefineSetting("OSS_SESSION_TOKEN", K::kString, "OSS session token")
          .StorageKey("OSS_SESSION_TOKEN")
          .Secret()
          .Warned(kOnly),
      DefineSetting("OSS_ENDPOINT", K::kString, "OSS endpoint")
          .StorageKey("OSS_ENDPOINT")
          .Warned(kOnly),
      DefineSetting("OSS_REGION", K::kString, "OSS region").StorageKey("OSS_REGION").Warned(kOnly),
      DefineSetting("OSS_ROLE_ARN", K::kString, "OSS role to assume")
          .StorageKey("OSS_ROLE_ARN")
          .Warned(kOnly),
      DefineSetting("OSS_ROLE_SESSION_NAME", K::kString, "OSS role session name")
          .StorageKey("OSS_ROLE_SESSION_NAME")
          .Warned(kOnly),
      DefineSetting("OSS_MAX_RETRIES", K::kString, "OSS request retries")
          .StorageKey("OSS_MAX_RETRIES")
          .Warned(kOnly),
      DefineSetting("OSS_CONNECT_TIMEOUT", K::kString, "OSS connect timeout")
          .StorageKey("OSS_CONNECT_TIMEOUT")
          .Warned(kOnly),
      DefineSetting("OSS_UPLOAD_PART_SIZE", K::kString, "OSS part size")
          .StorageKey("OSS_UPLOAD_PART_SIZE")
          .Warned(kOnly),
      DefineSetting("OSS_COPY_PART_SIZE", K::kString, "OSS copy part size")
          .StorageKey("OSS_COPY_PART_SIZE")
          .Warned(kOnly),
  };
  return specs;
}

std::span<const SettingSpec> SwiftSettingSpecs() {
  constexpr std::string_view kOnly = WALNUT_ONLY_WITH("Swift");
  static const std::vector<SettingSpec> specs = {
      DefineSetting("WALG_SWIFT_PREFIX", K::kString,
                    "OpenStack Swift storage, swift://container/path")
          .Alias("WALE_SWIFT_PREFIX")
          .Refused(WALNUT_NOT_YET("Swift")),
      DefineSetting("OS_AUTH_URL", K::kString, "Swift auth URL")
          .StorageKey("OS_AUTH_URL")
          .Warned(kOnly),
      DefineSetting("OS_USERNAME", K::kString, "Swift user")
          .StorageKey("OS_USERNAME")
          .Warned(kOnly),
      DefineSetting("OS_PASSWORD", K::kString, "Swift password")
          .StorageKey("OS_PASSWORD")
          .Secret()
          .Warned(kOnly),
      DefineSetting("OS_TENANT_NAME", K::kString, "Swift tenant")
          .StorageKey("OS_TENANT_NAME")
          .Warned(kOnly),
      DefineSetting("OS_REGION_NAME", K::kString, "Swift region")
          .StorageKey("OS_REGION_NAME")
          .Warned(kOnly),
  };
  return specs;
}

#undef WALNUT_NOT_YET
#undef WALNUT_ONLY_WITH

}  // namespace walnut
