#include "storage/memory/memory_storage.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"

namespace walnut {
namespace {

// List() copies at most this many entries under the lock, then calls fn without it.
constexpr size_t kListPageSize = 1000;

void CheckKey(std::string_view key) {
  if (key.empty()) throw Error(ErrorCode::kInvalidArgument, "object key is empty");
}

// Reads a range of bytes it shares with the storage (or with a replaced object). Not thread-safe.
class MemoryObjectReader : public StorageReader {
 public:
  MemoryObjectReader(std::shared_ptr<const std::string> data, size_t begin, size_t end,
                     std::map<std::string, std::string> metadata)
      : data_(std::move(data)), pos_(begin), end_(end), metadata_(std::move(metadata)) {}

  const std::map<std::string, std::string>& metadata() const override { return metadata_; }

  size_t Read(ByteSpan dst) override {
    size_t n = std::min(dst.size(), end_ - pos_);
    std::memcpy(dst.data(), data_->data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::shared_ptr<const std::string> data_;
  size_t pos_;
  size_t end_;
  std::map<std::string, std::string> metadata_;
};

// Buffers an object and commits it on Close(). Not thread-safe.
class MemoryObjectWriter : public Writer {
 public:
  MemoryObjectWriter(MemoryStorage& storage, std::string key,
                     std::map<std::string, std::string> metadata,
                     std::shared_ptr<LateMetadata> late)
      : storage_(storage),
        key_(std::move(key)),
        metadata_(std::move(metadata)),
        late_(std::move(late)) {}

  void Write(ConstByteSpan src) override {
    CheckOpen();
    data_.append(AsChars(src));
  }

  void Close() override {
    CheckOpen();
    open_ = false;
    if (late_ && !late_->values.empty()) {
      for (const auto& [name, value] : late_->values) metadata_[name] = value;
      late_->kept = true;
    }
    storage_.Commit(std::move(key_), std::move(data_), std::move(metadata_));
  }

  void Abort() noexcept override {
    open_ = false;
    data_.clear();
  }

 private:
  void CheckOpen() const {
    if (!open_) {
      throw Error(ErrorCode::kInternal,
                  fmt::format("write to object {} after it was closed or aborted", key_));
    }
  }

  MemoryStorage& storage_;
  std::string key_;
  std::map<std::string, std::string> metadata_;
  std::shared_ptr<LateMetadata> late_;
  std::string data_;
  bool open_ = true;
};

}  // namespace

MemoryStorage::MemoryStorage(std::string name) : name_(std::move(name)) {}

std::string MemoryStorage::Describe() const { return "memory://" + name_; }

std::unique_ptr<StorageReader> MemoryStorage::Get(std::string_view key, ByteRange range) {
  CheckKey(key);
  std::shared_ptr<const std::string> data;
  std::map<std::string, std::string> metadata;
  {
    MutexLock lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) {
      throw Error(ErrorCode::kNotFound, fmt::format("object {} not found in {}", key, Describe()));
    }
    data = it->second.data;
    metadata = it->second.metadata;
  }
  uint64_t size = data->size();
  uint64_t begin = std::min(range.offset, size);
  uint64_t end = size;
  if (range.length && *range.length < size - begin) end = begin + *range.length;
  return std::make_unique<MemoryObjectReader>(std::move(data), static_cast<size_t>(begin),
                                              static_cast<size_t>(end), std::move(metadata));
}

std::optional<ObjectInfo> MemoryStorage::Stat(std::string_view key) {
  CheckKey(key);
  MutexLock lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return ObjectInfo{it->first, it->second.data->size(), it->second.mtime, false,
                    it->second.metadata};
}

std::unique_ptr<Writer> MemoryStorage::Put(std::string_view key, const PutOptions& options) {
  CheckKey(key);
  return std::make_unique<MemoryObjectWriter>(*this, std::string(key), options.metadata,
                                              options.late_metadata);
}

void MemoryStorage::Commit(std::string key, std::string data,
                           std::map<std::string, std::string> metadata) {
  Object object{std::make_shared<const std::string>(std::move(data)),
                std::chrono::system_clock::now(), std::move(metadata)};
  MutexLock lock(mu_);
  objects_.insert_or_assign(std::move(key), std::move(object));
}

void MemoryStorage::List(std::string_view prefix, const ListOptions& options,
                         const std::function<void(const ObjectInfo&)>& fn) {
  // Where the next page starts: the first key >= cursor.
  std::string cursor(prefix);
  while (true) {
    std::vector<ObjectInfo> page;
    bool more = false;
    {
      MutexLock lock(mu_);
      auto it = objects_.lower_bound(cursor);
      for (; it != objects_.end() && it->first.starts_with(prefix);) {
        if (page.size() == kListPageSize) {
          more = true;
          cursor = it->first;
          break;
        }
        size_t slash = options.recursive ? std::string::npos : it->first.find('/', prefix.size());
        if (slash == std::string::npos) {
          page.push_back(
              ObjectInfo{it->first, it->second.data->size(), it->second.mtime, false, {}});
          ++it;
          continue;
        }
        // A common prefix "p/": report it once and skip its keys ('0' is the byte after '/').
        std::string common = it->first.substr(0, slash + 1);
        std::string after = common;
        after.back() = '0';
        page.push_back(ObjectInfo{std::move(common), 0, {}, true, {}});
        it = objects_.lower_bound(after);
      }
    }
    for (const ObjectInfo& info : page) fn(info);
    if (!more) return;
  }
}

void MemoryStorage::Delete(std::span<const std::string> keys) {
  for (const std::string& key : keys) CheckKey(key);
  MutexLock lock(mu_);
  for (const std::string& key : keys) objects_.erase(key);
}

bool MemoryStorage::Supports(StorageFeature feature) const {
  switch (feature) {
    case StorageFeature::kBatchDelete:
    case StorageFeature::kAtomicRename:
    case StorageFeature::kLateMetadata:
    case StorageFeature::kPrefixListing:
      return true;
    case StorageFeature::kLocal:  // memory is not a disk; callers size parallelism as for remote
    case StorageFeature::kVersions:
      return false;
  }
  return false;
}

size_t MemoryStorage::ObjectCount() const {
  MutexLock lock(mu_);
  return objects_.size();
}

}  // namespace walnut
