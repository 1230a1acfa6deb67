#include "storage/s3/request_headers.h"

#include <algorithm>
#include <array>
#include <string>

#include <fmt/format.h>
#include <strings.h>
#include <yaml-cpp/yaml.h>

#include "common/error.h"

namespace walnut::s3 {

namespace {

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Headers that walnut computes and signs (a second value breaks the signature) or that frame the
// request (a wrong value breaks the transfer).
bool IsReserved(std::string_view name) {
  static constexpr std::array<std::string_view, 8> kReserved = {"host",
                                                                "authorization",
                                                                "x-amz-date",
                                                                "x-amz-content-sha256",
                                                                "x-amz-security-token",
                                                                "content-length",
                                                                "expect",
                                                                "transfer-encoding"};
  return std::any_of(kReserved.begin(), kReserved.end(),
                     [&](std::string_view r) { return SameName(name, r); });
}

// RFC 9110 token characters.
bool IsToken(std::string_view name) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kSpecials.find(c) != kSpecials.npos;
  });
}

Error Invalid(std::string problem) {
  return Error(ErrorCode::kInvalidArgument, std::move(problem));
}

void Add(net::HttpHeaders& out, const YAML::Node& name_node, const YAML::Node& value_node) {
  if (!name_node.IsScalar()) throw Invalid("a header name must be a string");
  std::string name = name_node.Scalar();
  if (!IsToken(name)) {
    throw Invalid(fmt::format("'{}' is not a valid HTTP header name", name));
  }
  if (IsReserved(name)) {
    throw Invalid(
        fmt::format("header '{}' is set by walnut to sign or frame each request; "
                    "remove it",
                    name));
  }
  if (!value_node.IsScalar()) {
    throw Invalid(fmt::format("the value of header '{}' must be a string", name));
  }
  const std::string& value = value_node.Scalar();
  if (value.find_first_of("\r\n") != std::string::npos || value.find('\0') != std::string::npos) {
    throw Invalid(fmt::format("the value of header '{}' must be one line", name));
  }
  if (std::any_of(out.begin(), out.end(), [&](const auto& h) { return SameName(h.first, name); })) {
    throw Invalid(fmt::format("header '{}' is given twice", name));
  }
  out.emplace_back(std::move(name), value);
}

void AddMap(net::HttpHeaders& out, const YAML::Node& map) {
  for (const auto& entry : map) Add(out, entry.first, entry.second);
}

}  // namespace

net::HttpHeaders ParseAdditionalHeaders(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception&) {
    // The parser's message may quote the text, values included.
    throw Invalid("cannot parse it; expected a JSON object such as {\"X-Header\": \"value\"}");
  }
  net::HttpHeaders headers;
  if (root.IsMap()) {
    AddMap(headers, root);
  } else if (root.IsSequence()) {
    for (const auto& item : root) {
      if (!item.IsMap()) {
        throw Invalid("a list must hold objects such as {\"X-Header\": \"value\"}");
      }
      AddMap(headers, item);
    }
  } else {
    throw Invalid("expected a JSON object such as {\"X-Header\": \"value\"}");
  }
  return headers;
}

void AddHeaders(net::HttpRequest& request, const net::HttpHeaders& extra) {
  for (const auto& header : extra) {
    std::erase_if(request.headers, [&](const auto& h) { return SameName(h.first, header.first); });
    request.headers.push_back(header);
    request.masked_headers.push_back(header.first);
  }
}

}  // namespace walnut::s3
