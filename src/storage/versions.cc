#include "storage/versions.h"

#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "storage/locked_objects.h"

namespace walnut {

namespace {

constexpr size_t kBatch = 1000;  // S3's DeleteObjects limit

}  // namespace

uint64_t DeleteAllVersions(const Folder& folder, std::string_view prefix) {
  std::vector<ObjectVersion> batch;
  uint64_t deleted = 0;
  LockedObjects locked;
  auto flush = [&] {
    if (batch.empty()) return;
    deleted += batch.size();
    try {
      folder.DeleteVersions(batch);
    } catch (const ObjectsLockedError& e) {
      deleted -= e.locked().keys.size();
      locked.Merge(e.locked());
    }
    batch.clear();
  };
  uint64_t listed = 0;
  // Listing pages continue from markers, so deleting the versions already listed is safe.
  folder.ListVersions(prefix, [&](const ObjectVersion& version) {
    ++listed;
    batch.push_back(version);
    if (batch.size() == kBatch) flush();
  });
  flush();
  if (listed == 0) {
    throw Error(ErrorCode::kNotFound, fmt::format("no object version starts with '{}' in {}",
                                                  prefix, folder.storage().Describe()));
  }
  if (!locked.empty()) throw ObjectsLockedError(folder.storage().Describe(), std::move(locked));
  return deleted;
}

void DeleteOneVersion(const Folder& folder, std::string_view key, std::string_view version_id) {
  bool found = false;
  folder.ListVersions(key, [&](const ObjectVersion& version) {
    found = found || (version.key == key && version.version_id == version_id);
  });
  if (!found) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("object '{}' has no version '{}' in {}; 'walnut st ls --all-versions' "
                            "lists the versions",
                            key, version_id, folder.storage().Describe()));
  }
  ObjectVersion version;
  version.key = std::string(key);
  version.version_id = std::string(version_id);
  folder.DeleteVersions(std::span<const ObjectVersion>(&version, 1));
}

}  // namespace walnut
