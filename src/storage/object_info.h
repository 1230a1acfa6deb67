#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
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

// Metadata whose values are known only once an object's content is complete (the SHA-256 of bytes
// streamed through a Writer). The Writer's owner fills `values` before calling Close(); at Close
// the backend keeps them with the object where it still can (a directory: extended attributes, set
// before the rename; S3: an object that fits one PutObject; memory) and sets `kept`. A backend
// that cannot (an S3 multipart upload sent its metadata with CreateMultipartUpload, before the
// first byte) leaves `kept` false and the object without them: the owner records them elsewhere.
// Thread-safety: written and read only by whichever thread runs Close().
struct LateMetadata {
  std::map<std::string, std::string> values;
  bool kept = false;
};

struct PutOptions {
  // The size, when the caller knows it: lets a backend choose a single PUT over multipart.
  std::optional<uint64_t> size_hint;
  // User metadata to keep with the object (lower-case names of [a-z0-9-]); best effort on backends
  // or file systems that cannot keep it, so readers must cope with its absence.
  std::map<std::string, std::string> metadata;
  // Metadata to add at Close(), when the backend still can; null for none.
  std::shared_ptr<LateMetadata> late_metadata = nullptr;
};

struct ListOptions {
  // false: list only the level below the prefix, reporting deeper keys once as a common prefix
  // (S3's delimiter '/').
  bool recursive = true;
};

}  // namespace walnut
