#include "support/faulty_storage.h"

#include <algorithm>

namespace walnut::testing {
namespace {

size_t Index(StorageOp op) { return static_cast<size_t>(op); }

// Counts (and fails) Read calls, and cuts the body short when asked. Not thread-safe.
class FaultyReader : public StorageReader {
 public:
  FaultyReader(FaultyStorage& storage, std::unique_ptr<StorageReader> target,
               std::optional<uint64_t> remaining, std::optional<Error> truncate_error)
      : storage_(storage),
        target_(std::move(target)),
        remaining_(remaining),
        truncate_error_(std::move(truncate_error)) {}

  size_t Read(ByteSpan dst) override {
    storage_.OnCall(StorageOp::kRead);
    if (remaining_) {
      if (*remaining_ == 0 && !dst.empty()) {
        if (truncate_error_) throw *truncate_error_;
        return 0;
      }
      dst = dst.first(static_cast<size_t>(std::min<uint64_t>(dst.size(), *remaining_)));
    }
    size_t n = target_->Read(dst);
    if (remaining_) *remaining_ -= n;
    return n;
  }

  const std::map<std::string, std::string>& metadata() const override {
    return target_->metadata();
  }

 private:
  FaultyStorage& storage_;
  std::unique_ptr<StorageReader> target_;
  std::optional<uint64_t> remaining_;
  std::optional<Error> truncate_error_;
};

// Counts (and fails) Write and Close calls. A failure happens before the target sees the call.
// Not thread-safe.
class FaultyWriter : public Writer {
 public:
  FaultyWriter(FaultyStorage& storage, std::unique_ptr<Writer> target)
      : storage_(storage), target_(std::move(target)) {}

  void Write(ConstByteSpan src) override {
    storage_.OnCall(StorageOp::kWrite);
    target_->Write(src);
  }
  void Close() override {
    storage_.OnCall(StorageOp::kClose);
    target_->Close();
  }
  void Abort() noexcept override { target_->Abort(); }

 private:
  FaultyStorage& storage_;
  std::unique_ptr<Writer> target_;
};

}  // namespace

void FaultyStorage::AddFault(StorageOp op, uint64_t nth, uint64_t times, std::optional<Error> error,
                             std::optional<uint64_t> truncate_after) {
  if (nth == 0 || times == 0) return;
  MutexLock lock(mu_);
  uint64_t first = calls_[Index(op)] + nth;
  faults_.push_back(Fault{op, first, first + times - 1, std::move(error), truncate_after});
}

void FaultyStorage::FailCall(StorageOp op, uint64_t nth, Error error, uint64_t times) {
  AddFault(op, nth, times, std::move(error), std::nullopt);
}

void FaultyStorage::TruncateGet(uint64_t nth, uint64_t after_bytes, std::optional<Error> error,
                                uint64_t times) {
  AddFault(StorageOp::kGet, nth, times, std::move(error), after_bytes);
}

void FaultyStorage::ClearFaults() {
  MutexLock lock(mu_);
  faults_.clear();
}

uint64_t FaultyStorage::calls(StorageOp op) const {
  MutexLock lock(mu_);
  return calls_[Index(op)];
}

FaultyStorage::Hit FaultyStorage::Count(StorageOp op) {
  MutexLock lock(mu_);
  uint64_t n = ++calls_[Index(op)];
  Hit hit;
  for (const Fault& fault : faults_) {
    if (fault.op != op || n < fault.first || n > fault.last) continue;
    if (fault.truncate_after) {
      hit.truncate_after = fault.truncate_after;
      hit.truncate_error = fault.error;
    } else if (!hit.error) {
      hit.error = fault.error;
    }
  }
  return hit;
}

void FaultyStorage::OnCall(StorageOp op) {
  Hit hit = Count(op);
  if (hit.error) throw *hit.error;
}

std::unique_ptr<StorageReader> FaultyStorage::Get(std::string_view key, ByteRange range) {
  Hit hit = Count(StorageOp::kGet);
  if (hit.error) throw *hit.error;
  return std::make_unique<FaultyReader>(*this, StorageWrapper::Get(key, range), hit.truncate_after,
                                        std::move(hit.truncate_error));
}

std::optional<ObjectInfo> FaultyStorage::Stat(std::string_view key) {
  OnCall(StorageOp::kStat);
  return StorageWrapper::Stat(key);
}

std::unique_ptr<Writer> FaultyStorage::Put(std::string_view key, const PutOptions& options) {
  OnCall(StorageOp::kPut);
  return std::make_unique<FaultyWriter>(*this, StorageWrapper::Put(key, options));
}

void FaultyStorage::List(std::string_view prefix, const ListOptions& options,
                         const std::function<void(const ObjectInfo&)>& fn) {
  OnCall(StorageOp::kList);
  StorageWrapper::List(prefix, options, fn);
}

void FaultyStorage::Delete(std::span<const std::string> keys) {
  OnCall(StorageOp::kDelete);
  StorageWrapper::Delete(keys);
}

}  // namespace walnut::testing
