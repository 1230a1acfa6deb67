#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <stop_token>
#include <string>

#include "io/reader.h"

namespace walnut {

// The read-ahead loop of a backend reader that fetches an object as consecutive byte ranges
// (S3's and GCS's ranged GETs): delivers [offset, end) chunk by chunk, the next chunk fetched on
// a background thread while the current one is read, so memory stays at two chunks whatever the
// object size. The backend supplies only how to fetch one range (with its retries, resumption and
// consistency checks); a fetch that fails is rethrown by the Read() that reaches its chunk.
// Not thread-safe (one reader), as every Reader.
class ChunkPrefetcher {
 public:
  // Returns the `length` bytes at `offset`, all of them, or throws. Runs on the background thread;
  // `stop` is requested when the prefetcher is destroyed, and the fetch should then end soon
  // (throwing kCancelled).
  using FetchChunk =
      std::function<std::string(uint64_t offset, uint64_t length, std::stop_token stop)>;

  ChunkPrefetcher(FetchChunk fetch, uint64_t chunk_size);
  // Requests stop and waits for the background fetch (its failure no longer matters): a backend
  // reader declares its prefetcher last, so that `fetch` never outlives what it uses.
  ~ChunkPrefetcher();

  // Starts delivering: `first` (possibly empty, fetched by the caller, e.g. to learn the object's
  // size) holds the bytes from `offset`; the rest up to `end` is fetched. Call once.
  void Start(std::string first, uint64_t offset, uint64_t end);
  // Reader::Read over the bytes given to Start(): 0 only at their end.
  size_t Read(ByteSpan dst);

 private:
  void FetchNext();

  const FetchChunk fetch_;
  const uint64_t chunk_size_;
  uint64_t end_ = 0;         // one past the last byte to deliver
  uint64_t fetched_to_ = 0;  // one past the last byte fetched or being fetched
  std::string current_;
  size_t pos_ = 0;
  std::future<std::string> next_;
  std::stop_source cancel_;
};

}  // namespace walnut
