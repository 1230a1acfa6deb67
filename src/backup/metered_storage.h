#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "concurrency/rate_limiter.h"
#include "storage/storage_wrapper.h"

namespace walnut {

// Counts the bytes written to storage (what a backup's CompressedSize reports: after
// compression and encryption) and, with a limiter, holds uploads to WALG_NETWORK_RATE_LIMIT.
// Thread-safe.
class MeteredStorage : public StorageWrapper {
 public:
  // Borrows `target`; `limiter` may be null (no limit).
  MeteredStorage(Storage& target, std::shared_ptr<RateLimiter> limiter);

  std::unique_ptr<Writer> Put(std::string_view key, const PutOptions& options = {}) override;

  uint64_t bytes_written() const { return bytes_written_.load(); }

 private:
  std::shared_ptr<RateLimiter> limiter_;
  std::atomic<uint64_t> bytes_written_{0};
};

}  // namespace walnut
