#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace walnut::s3 {

// Parsers and builders for the S3 XML bodies we use
// (https://docs.aws.amazon.com/AmazonS3/latest/API/: ListObjectsV2, ListObjects, GetBucketLocation,
// Error responses,
// DeleteObjects, CreateMultipartUpload, CompleteMultipartUpload).
// Parsers throw Error(kProtocol, retryable) for a body that is not the expected XML: damaged on
// the way (a connection cut short), or a proxy or an S3-compatible server answered something else.

struct ListedObject {
  std::string key;  // the full key in the bucket
  uint64_t size = 0;
  std::chrono::system_clock::time_point mtime{};
};

struct ListPage {
  std::vector<ListedObject> objects;
  std::vector<std::string> common_prefixes;  // full prefixes, ending with the delimiter
  bool is_truncated = false;
  std::string next_continuation_token;  // v2
  // v1: where the next page starts: <NextMarker>, or, when a truncated page has none (S3 sends it
  // only with a delimiter), the last key or common prefix of the page, as AWS documents.
  std::string next_marker;
};
// Truncated pages always carry what the next request needs (a token, a marker); a truncated page
// that cannot say where to go on throws.
ListPage ParseListObjectsV2(std::string_view xml);
ListPage ParseListObjectsV1(std::string_view xml);

// GetBucketLocation's <LocationConstraint> as a region: empty = us-east-1, "EU" = eu-west-1.
std::string ParseBucketLocation(std::string_view xml);
// A region name as AWS spells them ("eu-west-1": lower-case letters, digits, '-'): safe to put
// into a host name.
bool IsRegionName(std::string_view s);

// <Error><Code>NoSuchKey</Code><Message>...</Message></Error>. Returns nullopt for anything
// else, including an empty body (HEAD errors have none): callers fall back to the status.
struct ErrorBody {
  std::string code;
  std::string message;
  std::string region;  // <Region>: the region the bucket is in (AuthorizationHeaderMalformed)
};
std::optional<ErrorBody> ParseErrorBody(std::string_view xml);

// The <Error> entries of a DeleteObjects result (keys that were not deleted).
struct DeleteFailure {
  std::string key;
  std::string code;
  std::string message;
  std::string version_id;  // when the request named one
};
std::vector<DeleteFailure> ParseDeleteResult(std::string_view xml);
// Its request body: BuildDeleteVersionsRequest (s3_versions_xml.h).

std::string ParseInitiateMultipartUpload(std::string_view xml);                     // the UploadId
std::string BuildCompleteMultipartUpload(std::span<const std::string> part_etags);  // part i+1

// CompleteMultipartUpload may answer 200 and still fail, with an <Error> body:
// returns that error, or nullopt when the root element is `expected_root`. Throws kProtocol for
// anything else.
std::optional<ErrorBody> EmbeddedError(std::string_view xml, std::string_view expected_root);

// "2009-10-12T17:50:30.000Z" (list pages) and "Wed, 12 Oct 2009 17:50:30 GMT" (Last-Modified).
std::optional<std::chrono::system_clock::time_point> ParseIso8601(std::string_view s);
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view s);

}  // namespace walnut::s3
