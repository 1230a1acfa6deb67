#pragma once

#include <memory>

#include "config/settings.h"
#include "storage/storage.h"

namespace walnut {

// Opens the storage the settings select (WALG_FILE_PREFIX: a local directory; WALG_S3_PREFIX: S3).
// WALG_STORAGE_PREFIX is not applied here: callers take StorageSubPrefix() as their root Folder.
// Throws kInvalidArgument naming the setting when an option is unusable.
std::unique_ptr<Storage> OpenStorage(const Settings& settings);

// Parts one S3 upload keeps in flight: WALG_UPLOAD_CONCURRENCY, but never so many that one
// upload's part buffers (those in flight plus the one being filled) pass kUploadBufferBudget;
// at least one part is always in flight. With the default 8 MiB parts: 3 in flight, 32 MiB.
size_t PartsInFlight(const Settings& settings);
inline constexpr uint64_t kUploadBufferBudget = 32ull << 20;

}  // namespace walnut
