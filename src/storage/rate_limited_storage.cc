#include "storage/rate_limited_storage.h"

#include <utility>

namespace walnut {
namespace {

// Takes the tokens after the bytes arrive (as WAL-G's limited reader): a read never waits for
// bytes it has not asked the network for yet.
class RateLimitedReader : public StorageReader {
 public:
  RateLimitedReader(std::unique_ptr<StorageReader> next, std::shared_ptr<RateLimiter> limiter)
      : next_(std::move(next)), limiter_(std::move(limiter)) {}
  size_t Read(ByteSpan dst) override {
    size_t n = next_->Read(dst);
    if (n > 0) limiter_->Acquire(n);
    return n;
  }
  const std::map<std::string, std::string>& metadata() const override { return next_->metadata(); }

 private:
  std::unique_ptr<StorageReader> next_;
  std::shared_ptr<RateLimiter> limiter_;
};

class RateLimitedWriter : public Writer {
 public:
  RateLimitedWriter(std::unique_ptr<Writer> next, std::shared_ptr<RateLimiter> limiter)
      : next_(std::move(next)), limiter_(std::move(limiter)) {}
  void Write(ConstByteSpan src) override {
    limiter_->Acquire(src.size());
    next_->Write(src);
  }
  void Close() override { next_->Close(); }
  void Abort() noexcept override { next_->Abort(); }

 private:
  std::unique_ptr<Writer> next_;
  std::shared_ptr<RateLimiter> limiter_;
};

}  // namespace

uint64_t RateLimitedStorage::BurstFor(uint64_t bytes_per_second) {
  return bytes_per_second / 8 + (1 << 20);
}

RateLimitedStorage::RateLimitedStorage(std::unique_ptr<Storage> target, uint64_t bytes_per_second)
    : StorageWrapper(std::move(target)),
      limiter_(std::make_shared<RateLimiter>(bytes_per_second, BurstFor(bytes_per_second))) {}

RateLimitedStorage::RateLimitedStorage(Storage& target, uint64_t bytes_per_second)
    : StorageWrapper(target),
      limiter_(std::make_shared<RateLimiter>(bytes_per_second, BurstFor(bytes_per_second))) {}

std::unique_ptr<StorageReader> RateLimitedStorage::Get(std::string_view key, ByteRange range) {
  return std::make_unique<RateLimitedReader>(StorageWrapper::Get(key, range), limiter_);
}

std::unique_ptr<Writer> RateLimitedStorage::Put(std::string_view key, const PutOptions& options) {
  return std::make_unique<RateLimitedWriter>(StorageWrapper::Put(key, options), limiter_);
}

}  // namespace walnut
