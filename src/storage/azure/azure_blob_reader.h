#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "storage/azure/azure_client.h"
#include "storage/object_info.h"
#include "storage/storage_reader.h"

namespace walnut::azure {

// Streams a blob (or a byte range of it) as ranged Get Blob requests (x-ms-range) of
// read_chunk_size bytes, one chunk in memory at a time. Every request after the first carries
// If-Match with the first answer's ETag, so a blob replaced mid-read fails (kProtocol) instead of
// yielding a mix. A chunk whose transfer breaks is retried from the byte where it stopped. The
// blob's user metadata comes from the first answer. Not thread-safe (one reader).
class AzureBlobReader : public StorageReader {
 public:
  // Fetches the first chunk, so a missing blob throws kNotFound here.
  AzureBlobReader(AzureClient& client, std::string blob, ByteRange range);

  size_t Read(ByteSpan dst) override;
  const std::map<std::string, std::string>& metadata() const override { return metadata_; }

 private:
  // Fetches [offset, offset + length) with retries, resuming after partial transfers. Sets
  // object_size from the first answer's Content-Range (nullopt after a 416: an empty blob).
  std::string FetchChunk(uint64_t offset, uint64_t length, std::optional<uint64_t>* object_size);
  // Get Blob Properties: the metadata and ETag (and, when asked, the size) without the bytes.
  void ReadProperties(std::optional<uint64_t>* object_size);

  AzureClient& client_;
  const std::string blob_;
  const size_t chunk_size_;
  std::string etag_;
  std::map<std::string, std::string> metadata_;
  uint64_t end_ = 0;         // one past the last byte to deliver
  uint64_t fetched_to_ = 0;  // one past the last byte fetched
  std::string current_;
  size_t pos_ = 0;
};

}  // namespace walnut::azure
