#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/rfc3339.h"
#include "storage/folder.h"

namespace walnut::retention {

// A temporary file of an upload that was killed (Storage::ListTemporaryFiles: a directory
// storage's hidden ".<name>.walnut-tmp-<random>" files), found by `delete garbage`.
struct StaleTemporaryFile {
  std::string key;  // relative to the storage root; Delete() takes it
  uint64_t size = 0;
  Timestamp mtime{};
};

// The temporary files below `root` not written to for `pending_age` (WALNUT_DELETE_PENDING_AGE):
// a live upload writes to its file all along, so an older one was abandoned. Younger ones are
// left alone. Object stores have none.
std::vector<StaleTemporaryFile> FindStaleTemporaryFiles(const Folder& root, Timestamp now,
                                                        std::chrono::milliseconds pending_age);

}  // namespace walnut::retention
