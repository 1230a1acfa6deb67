#pragma once

#include <cstdint>
#include <future>
#include <map>
#include <stop_token>
#include <string>

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
  ~GcsReader() override;

  size_t Read(ByteSpan dst) override;
  const std::map<std::string, std::string>& metadata() const override { return resource_.metadata; }

 private:
  std::string FetchChunk(uint64_t offset, uint64_t length);
  void StartPrefetch();

  GcsClient& client_;
  const std::string object_;
  const uint64_t chunk_size_;
  ObjectResource resource_;
  uint64_t end_ = 0;         // one past the last byte to deliver
  uint64_t fetched_to_ = 0;  // one past the last byte fetched or being fetched
  std::string current_;
  size_t pos_ = 0;
  std::future<std::string> next_;
  std::stop_source cancel_;
};

// objects.get of one object's resource (with the customer-supplied key, if any); nullopt on 404
// of the object (a missing bucket throws).
std::optional<ObjectResource> GetObjectResource(GcsClient& client, const std::string& object,
                                                Deadline deadline);

}  // namespace walnut::gcs
