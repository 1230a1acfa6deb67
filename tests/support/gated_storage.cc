#include "support/gated_storage.h"

#include <algorithm>
#include <utility>

namespace walnut::testing {
namespace {

class GatedWriter : public Writer {
 public:
  GatedWriter(std::unique_ptr<Writer> next, GatedStorage& gate)
      : next_(std::move(next)), gate_(gate) {}
  void Write(ConstByteSpan src) override { next_->Write(src); }
  void Close() override {
    gate_.Hold();
    next_->Close();
  }
  void Abort() noexcept override { next_->Abort(); }

 private:
  std::unique_ptr<Writer> next_;
  GatedStorage& gate_;
};

}  // namespace

GatedStorage::GatedStorage(Storage& target, std::string pattern)
    : StorageWrapper(target), pattern_(std::move(pattern)) {}

std::unique_ptr<Writer> GatedStorage::Put(std::string_view key, const PutOptions& options) {
  auto writer = StorageWrapper::Put(key, options);
  if (key.find(pattern_) == std::string_view::npos) return writer;
  return std::make_unique<GatedWriter>(std::move(writer), *this);
}

void GatedStorage::Open() {
  {
    MutexLock lock(mu_);
    open_ = true;
  }
  changed_.NotifyAll();
}

bool GatedStorage::WaitUntilHeld(size_t count, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  MutexLock lock(mu_);
  while (held_ < count) {
    if (!changed_.WaitUntil(mu_, deadline)) return held_ >= count;
  }
  return true;
}

size_t GatedStorage::held() const {
  MutexLock lock(mu_);
  return held_;
}

size_t GatedStorage::max_held() const {
  MutexLock lock(mu_);
  return max_held_;
}

void GatedStorage::Hold() {
  MutexLock lock(mu_);
  ++held_;
  max_held_ = std::max(max_held_, held_);
  changed_.NotifyAll();
  while (!open_) changed_.Wait(mu_);
  --held_;
}

}  // namespace walnut::testing
