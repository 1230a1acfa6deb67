#pragma once

#include <string>
#include <string_view>

namespace walnut {

// Where a storage prefix such as "s3://bucket/path" or "azure://container/path" points.
struct StorageUrl {
  std::string host;  // the bucket, container or host: "backups"
  std::string root;  // the path, without leading/trailing '/'; may be ""
};

// Parses a storage prefix "<scheme>://name[/path...]" as WAL-G does for every backend
// (storage.GetPathFromPrefix: the host is the bucket or container, the path trimmed of '/' is the
// root; %XX escapes in the path are decoded). Stricter than WAL-G where WAL-G would silently
// misread: the scheme must be `scheme` (any case), and '?', '#', '@', ':' or spaces in the name
// are rejected. Throws kInvalidArgument naming `setting` (e.g. "WALG_S3_PREFIX") and the value,
// with the expected form.
StorageUrl ParseStorageUrl(std::string_view setting, std::string_view prefix,
                           std::string_view scheme);

}  // namespace walnut
