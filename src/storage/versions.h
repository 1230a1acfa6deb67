#pragma once

#include <cstdint>
#include <string_view>

#include "storage/folder.h"

namespace walnut {

// The version tools of `walnut st` (storages with StorageFeature::kVersions; others throw
// kUnsupported).

// Deletes every version, delete markers included, of every key starting with `prefix` (relative
// to `folder`), streaming in batches; returns how many versions went. Keys under retention do not
// stop the others: they are reported at the end with ObjectsLockedError. Throws kNotFound naming
// `prefix` when it has no version at all.
uint64_t DeleteAllVersions(const Folder& folder, std::string_view prefix);

// Deletes the one version `version_id` of `key`. Throws kNotFound when the key has no such
// version (S3 would answer "deleted" for any id), ObjectsLockedError when it is under retention.
void DeleteOneVersion(const Folder& folder, std::string_view key, std::string_view version_id);

}  // namespace walnut
