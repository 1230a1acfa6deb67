#include "storage/azure/azure_xml.h"

#include <fmt/format.h>
#include <pugixml.hpp>

#include "common/error.h"
#include "net/http_date.h"

namespace walnut::azure {
namespace {

Error Malformed(std::string message) {
  return Error(ErrorCode::kProtocol, "malformed List Blobs answer: " + message,
               /*retryable=*/true);
}

bool ParseUint(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

}  // namespace

BlobListPage ParseListBlobs(std::string_view xml) {
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed) throw Malformed(parsed.description());
  pugi::xml_node root = doc.child("EnumerationResults");
  if (!root) throw Malformed("no <EnumerationResults>");
  BlobListPage page;
  pugi::xml_node blobs = root.child("Blobs");
  for (pugi::xml_node node : blobs.children()) {
    std::string_view kind = node.name();
    std::string name = node.child("Name").text().as_string();
    if (name.empty()) throw Malformed(fmt::format("a <{}> without a <Name>", kind));
    if (kind == "Blob") {
      BlobListPage::Blob blob;
      blob.name = std::move(name);
      pugi::xml_node props = node.child("Properties");
      if (!ParseUint(props.child("Content-Length").text().as_string(), blob.size)) {
        throw Malformed(fmt::format("blob '{}' has no valid Content-Length", blob.name));
      }
      if (auto t = net::ParseHttpDate(props.child("Last-Modified").text().as_string())) {
        blob.mtime = *t;
      }
      page.blobs.push_back(std::move(blob));
    } else if (kind == "BlobPrefix") {
      page.prefixes.push_back(std::move(name));
    }
  }
  page.next_marker = root.child("NextMarker").text().as_string();
  return page;
}

std::optional<AzureErrorBody> ParseAzureError(std::string_view xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) return std::nullopt;
  pugi::xml_node root = doc.child("Error");
  if (!root) return std::nullopt;
  AzureErrorBody body;
  body.code = root.child("Code").text().as_string();
  body.message = root.child("Message").text().as_string();
  if (size_t nl = body.message.find_first_of("\r\n"); nl != std::string::npos) {
    body.message.resize(nl);
  }
  return body;
}

std::string BlockListXml(const std::vector<std::string>& block_ids) {
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
  // Block ids are base64: nothing in them needs escaping.
  for (const std::string& id : block_ids) out += fmt::format("<Latest>{}</Latest>", id);
  out += "</BlockList>";
  return out;
}

}  // namespace walnut::azure
