#include "storage/s3/s3_versions_xml.h"

#include <fmt/format.h>

#include "common/excerpt.h"
#include "storage/s3/s3_xml_detail.h"

namespace walnut::s3 {

using xml_detail::Malformed;
using xml_detail::Parse;
using xml_detail::ParseUint;
using xml_detail::Root;
using xml_detail::Text;
using xml_detail::XmlEscape;

std::string ParseVersioningStatus(std::string_view xml) {
  constexpr std::string_view kWhat = "GetBucketVersioning";
  auto doc = Parse(xml, kWhat);
  return Text(Root(doc, "VersioningConfiguration", kWhat), "Status");
}

namespace {

bool ParseBool(const pugi::xml_node& node, const char* child, std::string_view what) {
  std::string value = Text(node, child);
  if (value != "true" && value != "false") {
    throw Malformed(fmt::format("{} has a bad <{}> '{}'", what, child, Excerpt(value)));
  }
  return value == "true";
}

ListedVersion ParseVersion(const pugi::xml_node& node, bool delete_marker) {
  constexpr std::string_view kWhat = "ListObjectVersions entry";
  ListedVersion v;
  v.key = Text(node, "Key");
  v.version_id = Text(node, "VersionId");
  if (v.key.empty() || v.version_id.empty()) {
    throw Malformed("ListObjectVersions entry without a <Key> or a <VersionId>");
  }
  v.is_delete_marker = delete_marker;
  v.is_latest = ParseBool(node, "IsLatest", kWhat);
  if (!delete_marker) {
    std::string size = Text(node, "Size");
    if (!ParseUint(size, v.size)) {
      throw Malformed(fmt::format("ListObjectVersions entry '{}' has a bad <Size> '{}'",
                                  Excerpt(v.key), Excerpt(size)));
    }
  }
  std::string modified = Text(node, "LastModified");
  auto mtime = ParseIso8601(modified);
  if (!mtime) {
    throw Malformed(fmt::format("ListObjectVersions entry '{}' has a bad <LastModified> '{}'",
                                Excerpt(v.key), Excerpt(modified)));
  }
  v.mtime = *mtime;
  return v;
}

}  // namespace

VersionsPage ParseListObjectVersions(std::string_view xml) {
  constexpr std::string_view kWhat = "ListObjectVersions";
  auto doc = Parse(xml, kWhat);
  auto root = Root(doc, "ListVersionsResult", kWhat);
  VersionsPage page;
  // Versions and delete markers interleave in key order; keep that order.
  for (auto node : root.children()) {
    std::string_view name = node.name();
    if (name == "Version" || name == "DeleteMarker") {
      page.versions.push_back(ParseVersion(node, name == "DeleteMarker"));
    }
  }
  page.is_truncated = ParseBool(root, "IsTruncated", "ListObjectVersions response");
  page.next_key_marker = Text(root, "NextKeyMarker");
  page.next_version_id_marker = Text(root, "NextVersionIdMarker");
  if (page.is_truncated && page.next_key_marker.empty()) {
    throw Malformed("ListObjectVersions response is truncated but has no <NextKeyMarker>");
  }
  return page;
}

std::string BuildDeleteVersionsRequest(std::span<const KeyVersion> objects) {
  std::string out = R"(<?xml version="1.0" encoding="UTF-8"?>)";
  out += "<Delete><Quiet>true</Quiet>";
  for (const auto& object : objects) {
    out += "<Object><Key>";
    XmlEscape(out, object.key);
    out += "</Key>";
    if (!object.version_id.empty()) {
      out += "<VersionId>";
      XmlEscape(out, object.version_id);
      out += "</VersionId>";
    }
    out += "</Object>";
  }
  out += "</Delete>";
  return out;
}

std::optional<std::chrono::system_clock::time_point> ParseRetainUntil(std::string_view xml) {
  constexpr std::string_view kWhat = "GetObjectRetention";
  auto doc = Parse(xml, kWhat);
  std::string until = Text(Root(doc, "Retention", kWhat), "RetainUntilDate");
  if (until.empty()) return std::nullopt;
  auto parsed = ParseIso8601(until);
  if (!parsed) {
    throw Malformed(
        fmt::format("GetObjectRetention has a bad <RetainUntilDate> '{}'", Excerpt(until)));
  }
  return parsed;
}

}  // namespace walnut::s3
