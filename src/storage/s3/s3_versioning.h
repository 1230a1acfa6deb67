#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/mutex.h"
#include "storage/s3/s3_client.h"
#include "storage/s3/s3_options.h"
#include "storage/s3/s3_versions_xml.h"
#include "storage/s3/s3_xml.h"

namespace walnut::s3 {

// Versioned buckets. Deleting a key of a bucket whose versioning is Enabled (or Suspended, after
// being enabled) only adds a delete marker: the data stays, and is billed, until each version is
// deleted by id. WAL-G's S3_ENABLE_VERSIONING says whether a delete removes every version; unset,
// the bucket is asked (GetBucketVersioning) once, at the first delete.

// Whether the bucket may keep several versions of a key. Thread-safe.
class VersioningProbe {
 public:
  explicit VersioningProbe(S3Options::Versioning setting);

  // The setting when forced, else the bucket's answer (asked once): Enabled or Suspended means
  // versioned. A server that does not know the request (s3rver) means unversioned; a refusal (no
  // s3:GetBucketVersioning permission) too, with a warning naming the setting that avoids asking.
  bool Versioned(S3Client& client);

 private:
  const S3Options::Versioning setting_;
  Mutex mu_;
  std::optional<bool> known_ GUARDED_BY(mu_);
};

// Pages through ListObjectVersions of the keys starting with `full_prefix` (and, when
// `start_after` is not empty, sorting after it), in key order; stops when fn returns false.
void ListObjectVersions(S3Client& client, std::string_view full_prefix, int max_keys,
                        const std::function<bool(const ListedVersion&)>& fn,
                        std::string_view start_after = {});

// Every version (delete markers included) of the given full keys, found with as few listings as
// the keys allow: one per key for a few keys, else one of their common prefix up to the last key,
// starting after `start_after` when every key sorts after it (the last key of the previous batch
// of a sorted delete: that batch's range is not listed again).
std::vector<KeyVersion> VersionsOfKeys(S3Client& client, std::span<const std::string> full_keys,
                                       int max_keys, std::string_view start_after = {});

// One DeleteObjects request (at most 1000 entries); returns the entries S3 did not delete.
// `where` names the storage in messages.
std::vector<DeleteFailure> SendDeleteObjects(S3Client& client, std::span<const KeyVersion> objects,
                                             std::string_view where);

}  // namespace walnut::s3
