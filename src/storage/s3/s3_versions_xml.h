#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/s3/s3_xml.h"

namespace walnut::s3 {

// Parsers and builders for versioned buckets and Object Lock
// (https://docs.aws.amazon.com/AmazonS3/latest/API/: GetBucketVersioning, ListObjectVersions,
// DeleteObjects with version ids, GetObjectRetention). Parsers throw as those of s3_xml.h.

// <VersioningConfiguration><Status>Enabled|Suspended</Status></VersioningConfiguration>: the
// status, "" for a bucket that was never versioned (no <Status>).
std::string ParseVersioningStatus(std::string_view xml);

struct ListedVersion {
  std::string key;  // the full key in the bucket
  std::string version_id;
  bool is_latest = false;
  bool is_delete_marker = false;
  uint64_t size = 0;
  std::chrono::system_clock::time_point mtime{};
};

struct VersionsPage {
  std::vector<ListedVersion> versions;  // <Version> and <DeleteMarker> entries, in answer order
  bool is_truncated = false;
  std::string next_key_marker, next_version_id_marker;
};
VersionsPage ParseListObjectVersions(std::string_view xml);

// One entry of a DeleteObjects request: a key, and a version (empty: the current one, which on a
// versioned bucket only adds a delete marker).
struct KeyVersion {
  std::string key;
  std::string version_id;
};
// <Delete><Quiet>true</Quiet><Object><Key>k</Key><VersionId>v</VersionId></Object>...</Delete>
std::string BuildDeleteVersionsRequest(std::span<const KeyVersion> objects);

// <Retention><Mode>..</Mode><RetainUntilDate>..</RetainUntilDate></Retention>: the date, nullopt
// when absent.
std::optional<std::chrono::system_clock::time_point> ParseRetainUntil(std::string_view xml);

}  // namespace walnut::s3
