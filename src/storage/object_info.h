#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace walnut {

// One object (or, in a non-recursive listing, one common prefix) of a Storage.
struct ObjectInfo {
  std::string key;  // '/'-separated, relative to the storage root; a prefix ends with '/'
  uint64_t size = 0;
  std::chrono::system_clock::time_point mtime{};
  bool is_prefix = false;
  // User metadata kept with the object (S3: x-amz-meta-<name>; directory: a user.walnut.<name>
  // extended attribute). Filled by Stat where the backend keeps it; listings leave it empty.
  std::map<std::string, std::string> metadata;
};

// A byte range of an object; no length means "to the end".
struct ByteRange {
  uint64_t offset = 0;
  std::optional<uint64_t> length;
};

struct PutOptions {
  // The size, when the caller knows it: lets a backend choose a single PUT over multipart.
  std::optional<uint64_t> size_hint;
  // User metadata to keep with the object (lower-case names of [a-z0-9-]); best effort on backends
  // or file systems that cannot keep it, so readers must cope with its absence.
  std::map<std::string, std::string> metadata;
};

struct ListOptions {
  // false: list only the level below the prefix, reporting deeper keys once as a common prefix
  // (S3's delimiter '/').
  bool recursive = true;
};

}  // namespace walnut
