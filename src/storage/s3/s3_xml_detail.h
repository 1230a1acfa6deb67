#pragma once

// The XML helpers of s3_xml.cc, shared with the other S3 parsers (s3_versions_xml.cc). Internal to
// the S3 backend.

#include <cstdint>
#include <string>
#include <string_view>

#include <pugixml.hpp>

#include "common/error.h"

namespace walnut::s3::xml_detail {

// Error(kProtocol, retryable): an answer that is not the XML it should be.
Error Malformed(std::string message);
// Parses `xml`, the answer to `what`; throws Malformed when it does not parse.
pugi::xml_document Parse(std::string_view xml, std::string_view what);
// The document element, which must be <name>.
pugi::xml_node Root(const pugi::xml_document& doc, std::string_view name, std::string_view what);
// The text of node's first <child>, "" when absent.
std::string Text(const pugi::xml_node& node, const char* child);
bool ParseUint(std::string_view s, uint64_t& out);
// Appends `s` to `out` with XML's special characters escaped.
void XmlEscape(std::string& out, std::string_view s);

}  // namespace walnut::s3::xml_detail
