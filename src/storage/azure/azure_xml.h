#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace walnut::azure {

// One page of a List Blobs answer (<EnumerationResults>).
struct BlobListPage {
  struct Blob {
    std::string name;
    uint64_t size = 0;
    std::chrono::system_clock::time_point mtime{};
  };
  std::vector<Blob> blobs;
  std::vector<std::string> prefixes;  // <BlobPrefix><Name> with a delimiter
  std::string next_marker;            // "" on the last page
};

// Parses a List Blobs answer; throws Error(kProtocol, retryable) when it is not one.
BlobListPage ParseListBlobs(std::string_view xml);

// <Error><Code>…</Code><Message>…</Message></Error>: Azure's error body. nullopt when `xml` is
// not one. The message is cut at its first line: the lines after it carry the request id and
// time and, for AuthenticationFailed, the server's string-to-sign (kept out of logs).
struct AzureErrorBody {
  std::string code;
  std::string message;
};
std::optional<AzureErrorBody> ParseAzureError(std::string_view xml);

// The body of Put Block List committing these block ids (base64), in order.
std::string BlockListXml(const std::vector<std::string>& block_ids);

}  // namespace walnut::azure
