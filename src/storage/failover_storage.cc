#include "storage/failover_storage.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <map>
#include <mutex>

#include <fmt/format.h>

namespace walnut {

// Passes everything to the member's Writer and reports the member as failed when the upload
// fails for a reason of the storage's.
class FailoverStorage::FailingOverWriter : public Writer {
 public:
  FailingOverWriter(FailoverStorage& owner, size_t index, std::unique_ptr<Writer> target)
      : owner_(owner), index_(index), target_(std::move(target)) {}

  void Write(ConstByteSpan src) override {
    try {
      target_->Write(src);
    } catch (const Error& e) {
      Report(e);
      throw;
    }
  }
  void Close() override {
    try {
      target_->Close();
    } catch (const Error& e) {
      Report(e);
      throw;
    }
  }
  void Abort() noexcept override { target_->Abort(); }

 private:
  void Report(const Error& e) {
    if (IsMemberFailure(e)) owner_.MarkFailed(index_, e);
  }

  FailoverStorage& owner_;
  size_t index_;
  std::unique_ptr<Writer> target_;
};

FailoverStorage::FailoverStorage(std::vector<Member> members, FailureHandler on_failure)
    : members_(std::move(members)),
      on_failure_(std::move(on_failure)),
      failed_(new std::atomic<bool>[members_.size()]) {
  if (members_.empty()) throw Error(ErrorCode::kInternal, "FailoverStorage without a storage");
  for (size_t i = 0; i < members_.size(); ++i) failed_[i] = false;
}

FailoverStorage::~FailoverStorage() = default;

bool FailoverStorage::IsMemberFailure(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kNetwork:
    case ErrorCode::kIo:
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kProtocol:
      return true;
    default:
      return error.retryable();
  }
}

std::vector<size_t> FailoverStorage::Live() const {
  std::vector<size_t> live;
  for (size_t i = 0; i < members_.size(); ++i) {
    if (!failed_[i]) live.push_back(i);
  }
  return live;
}

void FailoverStorage::MarkFailed(size_t index, const Error& error) {
  if (failed_[index].exchange(true)) return;
  {
    MutexLock lock(mu_);
    if (!first_failure_) {
      first_failure_ = Error(error.code(),
                             fmt::format("storage '{}' failed: {}", members_[index].name,
                                         error.what()),
                             error.retryable());
    }
  }
  if (on_failure_) on_failure_(members_[index].name, error);
}

void FailoverStorage::ThrowIfAnyFailed() const {
  MutexLock lock(mu_);
  if (first_failure_) throw *first_failure_;
}

std::string FailoverStorage::Describe() const {
  std::string out;
  for (const Member& m : members_) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} ({})", m.storage->Describe(), m.name);
  }
  return out;
}

std::optional<ObjectInfo> FailoverStorage::Stat(std::string_view key) {
  std::optional<Error> failure;
  for (size_t i : Live()) {
    try {
      std::optional<ObjectInfo> info = members_[i].storage->Stat(key);
      if (info) return info;
    } catch (const Error& e) {
      if (!IsMemberFailure(e)) throw;
      MarkFailed(i, e);
      if (!failure) failure = e;
    }
  }
  // Absent from every member that answered; a member that failed (now or earlier in this
  // command) may hold it.
  if (failure) throw *failure;
  ThrowIfAnyFailed();
  return std::nullopt;
}

std::string FailoverStorage::HolderOf(std::string_view key) {
  for (size_t i : Live()) {
    try {
      if (members_[i].storage->Stat(key)) return members_[i].name;
    } catch (const Error& e) {
      if (!IsMemberFailure(e)) throw;
      MarkFailed(i, e);
    }
  }
  return "";
}

std::unique_ptr<StorageReader> FailoverStorage::Get(std::string_view key, ByteRange range) {
  std::optional<Error> failure;
  for (size_t i : Live()) {
    try {
      // Asked first, so that a backend whose Get is lazy (the first Read sends the request) does
      // not make a missing object look found.
      if (!members_[i].storage->Stat(key)) continue;
      return members_[i].storage->Get(key, range);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kNotFound) continue;  // deleted between Stat and Get
      if (!IsMemberFailure(e)) throw;
      MarkFailed(i, e);
      if (!failure) failure = e;
    }
  }
  if (failure) throw *failure;
  ThrowIfAnyFailed();
  throw Error(ErrorCode::kNotFound, fmt::format("{} not found in {}", key, Describe()));
}

std::unique_ptr<Writer> FailoverStorage::Put(std::string_view key, const PutOptions& options) {
  std::vector<size_t> live = Live();
  std::optional<size_t> target;
  std::optional<Error> failure;
  for (size_t i : live) {
    try {
      if (members_[i].storage->Stat(key)) {
        target = i;
        break;
      }
      if (!target) target = i;  // the first that answered, unless a later one has the key
      // Keep looking for a member that has the key, but the first live one stays the default.
    } catch (const Error& e) {
      if (!IsMemberFailure(e)) throw;
      MarkFailed(i, e);
      if (!failure) failure = e;
    }
  }
  if (!target) {
    if (failure) throw *failure;
    throw Error(ErrorCode::kNetwork,
                fmt::format("{}: no storage is alive to write to ({})", key, Describe()), true);
  }
  // The loop above stops at the member that has the key; otherwise `target` is the first live
  // member that answered. A member that fails to start the upload (a directory that cannot be
  // created) is left out and the next live one takes it.
  for (;;) {
    try {
      return std::make_unique<FailingOverWriter>(*this, *target,
                                                 members_[*target].storage->Put(key, options));
    } catch (const Error& e) {
      if (!IsMemberFailure(e)) throw;
      MarkFailed(*target, e);
      std::vector<size_t> rest = Live();
      auto next = std::find_if(rest.begin(), rest.end(), [&](size_t i) { return i > *target; });
      if (next == rest.end()) throw;
      target = *next;
    }
  }
}

void FailoverStorage::List(std::string_view prefix, const ListOptions& options,
                           const std::function<void(const ObjectInfo&)>& fn) {
  std::map<std::string, ObjectInfo, std::less<>> merged;
  std::optional<Error> failure;
  size_t answered = 0;
  for (size_t i : Live()) {
    try {
      std::map<std::string, ObjectInfo, std::less<>> mine;
      members_[i].storage->List(prefix, options, [&](const ObjectInfo& info) {
        mine.emplace(info.key, info);
      });
      // Earlier members win: merge only keys not seen yet.
      merged.merge(mine);
      ++answered;
    } catch (const Error& e) {
      if (!IsMemberFailure(e)) throw;
      MarkFailed(i, e);
      if (!failure) failure = e;
    }
  }
  if (answered == 0 && failure) throw *failure;
  for (const auto& [key, info] : merged) fn(info);
}

void FailoverStorage::Delete(std::span<const std::string> keys) {
  // Every member is asked even when one fails (or keeps objects locked): a delete that reached
  // only some members must not look done, and must not stop the others either.
  std::exception_ptr first;
  for (size_t i : Live()) {
    try {
      members_[i].storage->Delete(keys);
    } catch (const Error& e) {
      if (IsMemberFailure(e)) MarkFailed(i, e);
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

void FailoverStorage::ListTemporaryFiles(std::string_view prefix, const ListOptions& options,
                                         const std::function<void(const ObjectInfo&)>& fn) {
  std::map<std::string, ObjectInfo, std::less<>> merged;
  for (size_t i : Live()) {
    members_[i].storage->ListTemporaryFiles(prefix, options, [&](const ObjectInfo& info) {
      merged.emplace(info.key, info);
    });
  }
  for (const auto& [key, info] : merged) fn(info);
}

bool FailoverStorage::Supports(StorageFeature feature) const {
  // Versions are one bucket's matter; the merged view offers none.
  if (feature == StorageFeature::kVersions) return false;
  return std::all_of(members_.begin(), members_.end(),
                     [&](const Member& m) { return m.storage->Supports(feature); });
}

uint64_t FailoverStorage::PutBufferUnit() const {
  uint64_t unit = 0;
  for (const Member& m : members_) unit = std::max(unit, m.storage->PutBufferUnit());
  return unit;
}

uint64_t FailoverStorage::PutBufferBytes(uint64_t size) const {
  uint64_t bytes = 0;
  for (const Member& m : members_) bytes = std::max(bytes, m.storage->PutBufferBytes(size));
  return bytes;
}

}  // namespace walnut
