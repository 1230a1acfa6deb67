#include "storage/azure/connection_string.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "common/error.h"

namespace walnut::azure {
namespace {

// Azurite's well-known development account (the same in every Azure SDK and in azurite's docs).
constexpr std::string_view kDevAccount = "devstoreaccount1";
constexpr std::string_view kDevKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
constexpr std::string_view kDevBlobEndpoint = "http://127.0.0.1:10000/devstoreaccount1";

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

ConnectionString ParseConnectionString(std::string_view text, std::string_view setting) {
  ConnectionString cs;
  bool development = false;
  size_t part_number = 0;
  while (!text.empty()) {
    size_t end = text.find(';');
    std::string_view part = Trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++part_number;
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: part {} is not Key=Value; give a connection string such as "
                              "the portal's (DefaultEndpointsProtocol=https;AccountName=...;"
                              "AccountKey=...;EndpointSuffix=core.windows.net)",
                              setting, part_number));
    }
    std::string key = Lower(Trim(part.substr(0, eq)));
    std::string value(Trim(part.substr(eq + 1)));
    if (key == "accountname") {
      cs.account_name = value;
    } else if (key == "accountkey") {
      cs.account_key = value;
    } else if (key == "sharedaccesssignature") {
      cs.shared_access_signature = value.starts_with('?') ? value.substr(1) : value;
    } else if (key == "blobendpoint") {
      while (value.ends_with('/')) value.pop_back();
      cs.blob_endpoint = value;
    } else if (key == "endpointsuffix") {
      cs.endpoint_suffix = value;
    } else if (key == "defaultendpointsprotocol") {
      std::string protocol = Lower(value);
      if (protocol != "http" && protocol != "https") {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("{}: DefaultEndpointsProtocol must be http or https, not '{}'",
                                setting, value));
      }
      cs.protocol = protocol;
    } else if (key == "usedevelopmentstorage") {
      development = Lower(value) == "true";
    }
    // Other services' endpoints (QueueEndpoint, TableEndpoint, FileEndpoint...) do not concern
    // blobs.
  }
  if (development) {
    if (cs.account_name.empty()) cs.account_name = kDevAccount;
    if (cs.account_key.empty() && cs.shared_access_signature.empty()) cs.account_key = kDevKey;
    if (cs.blob_endpoint.empty()) cs.blob_endpoint = kDevBlobEndpoint;
  }
  if (cs.protocol.empty()) cs.protocol = "https";
  return cs;
}

}  // namespace walnut::azure
