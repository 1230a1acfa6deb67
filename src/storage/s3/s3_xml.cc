#include "storage/s3/s3_xml.h"

#include <algorithm>
#include <charconv>
#include <ctime>

#include <fmt/format.h>

#include <pugixml.hpp>

#include "common/error.h"
#include "common/excerpt.h"
#include "common/rfc3339.h"
#include "net/http_date.h"
#include "storage/s3/s3_xml_detail.h"

namespace walnut::s3 {

namespace xml_detail {

// An answer that is not the XML it should be was most likely damaged on the way (a connection
// cut, a proxy's page): retried like a network error.
Error Malformed(std::string message) {
  return Error(ErrorCode::kProtocol, std::move(message), /*retryable=*/true);
}

pugi::xml_document Parse(std::string_view xml, std::string_view what) {
  pugi::xml_document doc;
  auto result = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!result) {
    throw Malformed(fmt::format("cannot parse the {} response: {} at offset {}", what,
                                result.description(), result.offset));
  }
  return doc;
}

pugi::xml_node Root(const pugi::xml_document& doc, std::string_view name, std::string_view what) {
  pugi::xml_node root = doc.document_element();
  if (name != root.name()) {
    throw Malformed(fmt::format("unexpected {} response: root element <{}>, expected <{}>", what,
                                root.name(), name));
  }
  return root;
}

std::string Text(const pugi::xml_node& node, const char* child) {
  return node.child(child).text().as_string();
}

bool ParseUint(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

void XmlEscape(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\r':
        out += "&#13;";
        break;
      case '\n':
        out += "&#10;";
        break;
      case '\t':
        out += "&#9;";
        break;
      default:
        out.push_back(c);
    }
  }
}

}  // namespace xml_detail

using xml_detail::Malformed;
using xml_detail::Parse;
using xml_detail::ParseUint;
using xml_detail::Root;
using xml_detail::Text;
using xml_detail::XmlEscape;

namespace {

// The <ListBucketResult> both list versions answer; the caller reads where the next page starts.
ListPage ParseListBucketResult(const pugi::xml_node& root, std::string_view what) {
  ListPage page;
  for (auto node : root.children("Contents")) {
    ListedObject obj;
    obj.key = Text(node, "Key");
    if (obj.key.empty()) throw Malformed(fmt::format("{} entry without a <Key>", what));
    std::string size = Text(node, "Size");
    if (!ParseUint(size, obj.size)) {
      throw Malformed(fmt::format("{} entry '{}' has a bad <Size> '{}'", what, Excerpt(obj.key),
                                  Excerpt(size)));
    }
    std::string modified = Text(node, "LastModified");
    auto mtime = ParseIso8601(modified);
    if (!mtime) {
      throw Malformed(fmt::format("{} entry '{}' has a bad <LastModified> '{}'", what,
                                  Excerpt(obj.key), Excerpt(modified)));
    }
    obj.mtime = *mtime;
    page.objects.push_back(std::move(obj));
  }
  for (auto node : root.children("CommonPrefixes")) {
    std::string prefix = Text(node, "Prefix");
    if (prefix.empty()) throw Malformed(fmt::format("{} empty <CommonPrefixes>", what));
    page.common_prefixes.push_back(std::move(prefix));
  }
  std::string truncated = Text(root, "IsTruncated");
  if (truncated != "true" && truncated != "false") {
    throw Malformed(
        fmt::format("{} response has a bad <IsTruncated> '{}'", what, Excerpt(truncated)));
  }
  page.is_truncated = truncated == "true";
  return page;
}

}  // namespace

ListPage ParseListObjectsV2(std::string_view xml) {
  constexpr std::string_view kWhat = "ListObjectsV2";
  auto doc = Parse(xml, kWhat);
  ListPage page = ParseListBucketResult(Root(doc, "ListBucketResult", kWhat), kWhat);
  page.next_continuation_token = Text(doc.document_element(), "NextContinuationToken");
  if (page.is_truncated && page.next_continuation_token.empty()) {
    throw Malformed("ListObjectsV2 response is truncated but has no <NextContinuationToken>");
  }
  return page;
}

ListPage ParseListObjectsV1(std::string_view xml) {
  constexpr std::string_view kWhat = "ListObjects";
  auto doc = Parse(xml, kWhat);
  ListPage page = ParseListBucketResult(Root(doc, "ListBucketResult", kWhat), kWhat);
  if (!page.is_truncated) return page;
  page.next_marker = Text(doc.document_element(), "NextMarker");
  if (page.next_marker.empty()) {
    // Keys and prefixes come in one key order; the page ends with the greater of the two lasts.
    if (!page.objects.empty()) page.next_marker = page.objects.back().key;
    if (!page.common_prefixes.empty() && page.common_prefixes.back() > page.next_marker) {
      page.next_marker = page.common_prefixes.back();
    }
  }
  if (page.next_marker.empty()) {
    throw Malformed("ListObjects response is truncated but has no <NextMarker> and no entries");
  }
  return page;
}

bool IsRegionName(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::string ParseBucketLocation(std::string_view xml) {
  constexpr std::string_view kWhat = "GetBucketLocation";
  auto doc = Parse(xml, kWhat);
  std::string location = Root(doc, "LocationConstraint", kWhat).text().as_string();
  // us-east-1 answers an empty constraint; "EU" is the old name of eu-west-1.
  if (location.empty()) return "us-east-1";
  if (location == "EU") return "eu-west-1";
  if (!IsRegionName(location)) {
    throw Malformed(fmt::format("GetBucketLocation answered a region that is not one: '{}'",
                                Excerpt(location)));
  }
  return location;
}

std::optional<ErrorBody> ParseErrorBody(std::string_view xml) {
  if (xml.find('<') == std::string_view::npos) return std::nullopt;
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8)) {
    return std::nullopt;
  }
  auto root = doc.document_element();
  if (std::string_view(root.name()) != "Error") return std::nullopt;
  return ErrorBody{Text(root, "Code"), Text(root, "Message"), Text(root, "Region")};
}

std::vector<DeleteFailure> ParseDeleteResult(std::string_view xml) {
  constexpr std::string_view kWhat = "DeleteObjects";
  auto doc = Parse(xml, kWhat);
  auto root = Root(doc, "DeleteResult", kWhat);
  std::vector<DeleteFailure> failures;
  for (auto node : root.children("Error")) {
    failures.push_back(
        {Text(node, "Key"), Text(node, "Code"), Text(node, "Message"), Text(node, "VersionId")});
  }
  return failures;
}

std::string ParseInitiateMultipartUpload(std::string_view xml) {
  constexpr std::string_view kWhat = "CreateMultipartUpload";
  auto doc = Parse(xml, kWhat);
  auto root = Root(doc, "InitiateMultipartUploadResult", kWhat);
  std::string id = Text(root, "UploadId");
  if (id.empty()) throw Malformed("CreateMultipartUpload returned no <UploadId>");
  return id;
}

std::string BuildCompleteMultipartUpload(std::span<const std::string> part_etags) {
  std::string out = R"(<?xml version="1.0" encoding="UTF-8"?>)";
  out += "<CompleteMultipartUpload>";
  for (size_t i = 0; i < part_etags.size(); ++i) {
    out += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>", i + 1);
    XmlEscape(out, part_etags[i]);
    out += "</ETag></Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

std::optional<ErrorBody> EmbeddedError(std::string_view xml, std::string_view expected_root) {
  auto doc = Parse(xml, expected_root);
  auto root = doc.document_element();
  if (std::string_view(root.name()) == "Error") {
    return ErrorBody{Text(root, "Code"), Text(root, "Message"), Text(root, "Region")};
  }
  Root(doc, expected_root, expected_root);
  return std::nullopt;
}

std::optional<std::chrono::system_clock::time_point> ParseIso8601(std::string_view s) {
  // S3 writes "2026-12-08T00:06:48.000Z"; one range-checked RFC 3339 parser for every backend.
  auto t = ParseRfc3339(s);
  if (!t) return std::nullopt;
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(*t);
}

std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view s) {
  return net::ParseHttpDate(s);
}

}  // namespace walnut::s3
