#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "concurrency/rate_limiter.h"
#include "storage/storage_wrapper.h"

namespace walnut {

// WALG_NETWORK_RATE_LIMIT as WAL-G applies it (its LimitedFolder around the storage root): the
// bytes of every object read (Get) and written (Put), by every thread, share one token bucket.
// Listings, Stat, Delete and server-side Copy move no object data through us and are not counted.
// Thread-safe when the target is.
class RateLimitedStorage : public StorageWrapper {
 public:
  // Owns `target`. REQUIRES: bytes_per_second > 0.
  RateLimitedStorage(std::unique_ptr<Storage> target, uint64_t bytes_per_second);
  // Borrows `target`, which must outlive this wrapper.
  RateLimitedStorage(Storage& target, uint64_t bytes_per_second);

  std::unique_ptr<StorageReader> Get(std::string_view key, ByteRange range = {}) override;
  std::unique_ptr<Writer> Put(std::string_view key, const PutOptions& options = {}) override;

  // The burst the bucket allows: an eighth of a second's worth plus 1 MiB, so that one request's
  // chunk passes at once but an idle period does not buy a long burst later.
  static uint64_t BurstFor(uint64_t bytes_per_second);

 private:
  std::shared_ptr<RateLimiter> limiter_;
};

}  // namespace walnut
