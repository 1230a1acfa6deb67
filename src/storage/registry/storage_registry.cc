#include "storage/registry/storage_registry.h"

#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "storage/azure/azure_settings.h"
#include "storage/fs/fs_settings.h"
#include "storage/gcs/gcs_settings.h"
#include "storage/registry/walg_backends_not_yet.h"
#include "storage/s3/s3_settings.h"
#include "storage/sftp/sftp_settings.h"

namespace walnut {
namespace {

// WAL-G's order. A row with no `open` is a backend WAL-G has and Walnut does not yet.
constexpr StorageBackend kBackends[] = {
    {"oss", "WALG_OSS_PREFIX", &OssSettingSpecs, nullptr},
    {"s3", "WALG_S3_PREFIX", &s3::S3SettingSpecs, &s3::OpenS3Storage},
    {"file", "WALG_FILE_PREFIX", &FsSettingSpecs, &OpenFsStorage},
    {"gs", "WALG_GS_PREFIX", &gcs::GcsSettingSpecs, &gcs::OpenGcsStorage},
    {"azure", "WALG_AZ_PREFIX", &azure::AzureSettingSpecs, &azure::OpenAzureStorage},
    {"swift", "WALG_SWIFT_PREFIX", &SwiftSettingSpecs, nullptr},
    {"ssh", "WALG_SSH_PREFIX", &sftp::SftpSettingSpecs, &sftp::OpenSftpStorage},
};

}  // namespace

std::span<const StorageBackend> StorageBackends() { return kBackends; }

std::vector<std::span<const SettingSpec>> StorageSettingSpecLists() {
  std::vector<std::span<const SettingSpec>> lists;
  for (const StorageBackend& backend : kBackends) lists.push_back(backend.settings());
  return lists;
}

const StorageBackend& SelectStorageBackend(const Config& config) {
  for (const StorageBackend& backend : kBackends) {
    if (config.Has(backend.prefix_setting)) return backend;
  }
  throw Error(ErrorCode::kInvalidArgument,
              "no storage configured: set WALG_FILE_PREFIX (a local directory), WALG_S3_PREFIX "
              "(s3://bucket/path), WALG_GS_PREFIX (gs://bucket/path), WALG_SSH_PREFIX "
              "(ssh://host/path) or WALG_AZ_PREFIX (azure://container/path)");
}

std::unique_ptr<Storage> OpenStorage(const Config& config, const Settings& common) {
  const StorageBackend& backend = SelectStorageBackend(config);
  if (backend.open == nullptr) {
    // The prefix setting is refused by its status; this is the backstop for callers that did not
    // check the statuses first.
    std::string supported;
    for (const StorageBackend& b : kBackends) {
      if (b.open == nullptr) continue;
      supported += fmt::format("{}{}", supported.empty() ? "" : ", ", b.prefix_setting);
    }
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{}: {} storage is not supported by walnut yet; use one of {}",
                            config.SpelledName(backend.prefix_setting), backend.name, supported));
  }
  return backend.open(config, common);
}

std::unique_ptr<Storage> OpenCommandStorage(const Config& config, const Settings& common,
                                            const StorageTarget& target, LocalFs& fs) {
  return OpenFailoverStorages(config, common, target, fs,
                              [&](const Config& c) { return OpenStorage(c, common); });
}

std::vector<std::pair<std::string, std::shared_ptr<Storage>>> OpenEveryStorage(
    const Config& config, const Settings& common) {
  return OpenAllStorages(config, [&](const Config& c) { return OpenStorage(c, common); });
}

}  // namespace walnut
