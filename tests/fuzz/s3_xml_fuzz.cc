// libFuzzer target over the S3 XML parsers: server answers are untrusted input. Every parser must
// either return or throw walnut::Error; anything else (a crash, another exception, a sanitizer
// report) is a bug.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "storage/s3/s3_versions_xml.h"
#include "storage/s3/s3_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  using namespace walnut::s3;
  try {
    ListPage page = ParseListObjectsV2(xml);
    if (page.is_truncated && page.next_continuation_token.empty()) __builtin_trap();
  } catch (const walnut::Error&) {
  }
  try {
    ListPage page = ParseListObjectsV1(xml);
    // A truncated v1 page always says where the next one starts.
    if (page.is_truncated && page.next_marker.empty()) __builtin_trap();
  } catch (const walnut::Error&) {
  }
  try {
    if (!IsRegionName(ParseBucketLocation(xml))) __builtin_trap();
  } catch (const walnut::Error&) {
  }
  try {
    VersionsPage page = ParseListObjectVersions(xml);
    // A truncated page always says where the next one starts; every entry names a version.
    if (page.is_truncated && page.next_key_marker.empty()) __builtin_trap();
    for (const ListedVersion& v : page.versions) {
      if (v.key.empty() || v.version_id.empty()) __builtin_trap();
    }
  } catch (const walnut::Error&) {
  }
  try {
    (void)ParseVersioningStatus(xml);
  } catch (const walnut::Error&) {
  }
  try {
    (void)ParseRetainUntil(xml);
  } catch (const walnut::Error&) {
  }
  (void)ParseErrorBody(xml);  // never throws
  try {
    (void)ParseDeleteResult(xml);
  } catch (const walnut::Error&) {
  }
  try {
    if (ParseInitiateMultipartUpload(xml).empty()) __builtin_trap();
  } catch (const walnut::Error&) {
  }
  try {
    (void)EmbeddedError(xml, "CompleteMultipartUploadResult");
  } catch (const walnut::Error&) {
  }
  (void)ParseIso8601(xml);
  (void)ParseHttpDate(xml);
  return 0;
}
