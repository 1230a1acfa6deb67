#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace walnut {

// One version of an object in a storage that keeps versions (an S3 bucket with versioning on or
// suspended): each write of a key adds a version, and deleting a key without naming a version
// only adds a delete marker, so the older versions keep their space until deleted by id.
struct ObjectVersion {
  std::string key;         // relative to the storage root, as ObjectInfo::key
  std::string version_id;  // the server's id; "null" for a version written while unversioned
  bool is_latest = false;
  bool is_delete_marker = false;  // no content: hides the key from listings
  uint64_t size = 0;
  std::chrono::system_clock::time_point mtime{};
};

}  // namespace walnut
