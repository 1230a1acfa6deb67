#pragma once

#include <string>
#include <string_view>

namespace walnut {

// Where an S3 prefix points.
struct S3Location {
  std::string bucket;  // "backups"
  std::string root;    // key prefix inside the bucket, without leading/trailing '/'; may be ""
};

// Parses an S3 prefix "s3://bucket[/path...]" as WAL-G does (storage.GetPathFromPrefix: the host is
// the bucket, the path trimmed of '/' is the root; %XX escapes in the path are decoded). Stricter
// than WAL-G where WAL-G would silently misread: the scheme must be s3, and '?', '#', '@', ':' or
// spaces in the bucket are rejected. Throws kInvalidArgument naming `setting` (e.g.
// "WALG_S3_PREFIX") and the value, with the expected form.
S3Location ParseS3Prefix(std::string_view setting, std::string_view prefix);

// A WALG_FILE_PREFIX value as a directory: strips WAL-E's "file://localhost" (WAL-G does the same)
// and a plain "file://", and trailing '/' (but keeps "/"). Throws kInvalidArgument naming
// `setting` when nothing is left.
std::string NormalizeFilePrefix(std::string_view setting, std::string_view prefix);

}  // namespace walnut
