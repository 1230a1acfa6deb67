#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stop_token>
#include <string>

#include "storage/chunk_prefetcher.h"
#include "storage/object_info.h"
#include "storage/s3/s3_client.h"
#include "storage/storage_reader.h"

namespace walnut::s3 {

// Streams an object (or a byte range of it) as a sequence of ranged GETs of read_chunk_size bytes,
// fetching the next chunk in the background while the current one is read: memory stays at two
// chunks whatever the object size. Every request after the first carries If-Match with the first
// response's ETag, so an object replaced mid-read fails (kProtocol) instead of yielding a mix.
// A chunk whose transfer breaks is retried from the byte where it stopped. The object's user
// metadata comes from the first response (a HeadObject when that one has no body: a 416).
// Not thread-safe (one reader), as every Reader.
class S3ObjectReader : public StorageReader {
 public:
  // Fetches the first chunk, so a missing object throws kNotFound("object s3://b/k not found")
  // here rather than at the first Read().
  S3ObjectReader(S3Client& client, std::string full_key, ByteRange range);

  size_t Read(ByteSpan dst) override { return prefetcher_.Read(dst); }
  const std::map<std::string, std::string>& metadata() const override { return metadata_; }

 private:
  // Fetches [offset, offset + length) with retries, resuming after partial transfers. For the
  // first chunk, object_size receives the object's total size (nullopt after a 416).
  std::string FetchChunk(uint64_t offset, uint64_t length, std::optional<uint64_t>* object_size,
                         std::stop_token stop);
  void Open(ByteRange range);
  [[noreturn]] void ThrowNotFound() const;

  S3Client& client_;
  const std::string key_;
  std::string etag_;  // written by the first fetch only, read-only afterwards
  std::map<std::string, std::string> metadata_;  // as etag_
  bool has_metadata_ = false;                    // as etag_
  ChunkPrefetcher prefetcher_;                   // last: destroyed (its fetch cancelled) first
};

}  // namespace walnut::s3
