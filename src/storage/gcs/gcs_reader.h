#pragma once

#include <cstdint>
#include <map>
#include <stop_token>
#include <string>

#include "storage/chunk_prefetcher.h"
#include "storage/gcs/gcs_client.h"
#include "storage/gcs/gcs_json.h"
#include "storage/object_info.h"
#include "storage/storage_reader.h"

namespace walnut::gcs {

// Streams an object (or a byte range of it): first its resource (objects.get: size, generation,
// custom metadata; a missing object fails here), then ranged media GETs (alt=media, pinned to
// that generation, so an object replaced mid-read fails instead of yielding a mix) of
// read_chunk_size bytes, the next one fetched in the background while the current one is read:
// memory stays at two chunks. A chunk whose transfer breaks is resumed from the byte where it
// stopped. Not thread-safe (one reader), as every Reader.
class GcsReader : public StorageReader {
 public:
  GcsReader(GcsClient& client, std::string object, ByteRange range);

  size_t Read(ByteSpan dst) override { return prefetcher_.Read(dst); }
  const std::map<std::string, std::string>& metadata() const override { return resource_.metadata; }

 private:
  // On the prefetcher's thread: the media bytes [offset, offset + length) of resource_'s
  // generation, with retries, resuming after partial transfers.
  std::string FetchChunk(uint64_t offset, uint64_t length, std::stop_token stop);

  GcsClient& client_;
  const std::string object_;
  ObjectResource resource_;     // written by the constructor only, read-only afterwards
  ChunkPrefetcher prefetcher_;  // last: destroyed (its fetch cancelled) first
};

// objects.get of one object's resource (with the customer-supplied key, if any); nullopt on 404
// of the object (a missing bucket throws).
std::optional<ObjectResource> GetObjectResource(GcsClient& client, const std::string& object,
                                                Deadline deadline);

}  // namespace walnut::gcs
