#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "storage/storage_wrapper.h"

namespace walnut {

// Counts the bytes written to storage (what a backup's CompressedSize reports: after
// compression and encryption). WALG_NETWORK_RATE_LIMIT is applied below it, by the command's
// storage (RateLimitedStorage). Thread-safe.
class MeteredStorage : public StorageWrapper {
 public:
  // Borrows `target`.
  explicit MeteredStorage(Storage& target);

  std::unique_ptr<Writer> Put(std::string_view key, const PutOptions& options = {}) override;

  uint64_t bytes_written() const { return bytes_written_.load(); }

 private:
  std::atomic<uint64_t> bytes_written_{0};
};

}  // namespace walnut
