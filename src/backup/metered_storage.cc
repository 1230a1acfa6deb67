#include "backup/metered_storage.h"

#include <utility>

namespace walnut {
namespace {

class MeteredWriter : public Writer {
 public:
  MeteredWriter(std::unique_ptr<Writer> next, RateLimiter* limiter, std::atomic<uint64_t>& counter)
      : next_(std::move(next)), limiter_(limiter), counter_(counter) {}

  void Write(ConstByteSpan src) override {
    if (limiter_) limiter_->Acquire(src.size());
    next_->Write(src);
    counter_ += src.size();
  }
  void Close() override { next_->Close(); }
  void Abort() noexcept override { next_->Abort(); }

 private:
  std::unique_ptr<Writer> next_;
  RateLimiter* limiter_;
  std::atomic<uint64_t>& counter_;
};

}  // namespace

MeteredStorage::MeteredStorage(Storage& target, std::shared_ptr<RateLimiter> limiter)
    : StorageWrapper(target), limiter_(std::move(limiter)) {}

std::unique_ptr<Writer> MeteredStorage::Put(std::string_view key, const PutOptions& options) {
  return std::make_unique<MeteredWriter>(StorageWrapper::Put(key, options), limiter_.get(),
                                         bytes_written_);
}

}  // namespace walnut
