#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace walnut {

// One object (or, in a non-recursive listing, one common prefix) of a Storage.
struct ObjectInfo {
  std::string key;  // '/'-separated, relative to the storage root; a prefix ends with '/'
  uint64_t size = 0;
  std::chrono::system_clock::time_point mtime{};
  bool is_prefix = false;
};

// A byte range of an object; no length means "to the end".
struct ByteRange {
  uint64_t offset = 0;
  std::optional<uint64_t> length;
};

struct PutOptions {
  // The size, when the caller knows it: lets a backend choose a single PUT over multipart.
  std::optional<uint64_t> size_hint;
};

struct ListOptions {
  // false: list only the level below the prefix, reporting deeper keys once as a common prefix
  // (S3's delimiter '/').
  bool recursive = true;
};

}  // namespace walnut
