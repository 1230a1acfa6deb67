#include "backup/metered_storage.h"

#include <utility>

namespace walnut {
namespace {

class MeteredWriter : public Writer {
 public:
  MeteredWriter(std::unique_ptr<Writer> next, std::atomic<uint64_t>& counter)
      : next_(std::move(next)), counter_(counter) {}

  void Write(ConstByteSpan src) override {
    next_->Write(src);
    counter_ += src.size();
  }
  void Close() override { next_->Close(); }
  void Abort() noexcept override { next_->Abort(); }

 private:
  std::unique_ptr<Writer> next_;
  std::atomic<uint64_t>& counter_;
};

}  // namespace

MeteredStorage::MeteredStorage(Storage& target) : StorageWrapper(target) {}

std::unique_ptr<Writer> MeteredStorage::Put(std::string_view key, const PutOptions& options) {
  return std::make_unique<MeteredWriter>(StorageWrapper::Put(key, options), bytes_written_);
}

}  // namespace walnut
