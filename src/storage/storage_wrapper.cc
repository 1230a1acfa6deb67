#include "storage/storage_wrapper.h"

namespace walnut {

StorageWrapper::StorageWrapper(std::unique_ptr<Storage> target)
    : owned_(std::move(target)), target_(owned_.get()) {}

StorageWrapper::StorageWrapper(Storage& target) : target_(&target) {}

std::string StorageWrapper::Describe() const { return target_->Describe(); }

std::string StorageWrapper::HolderOf(std::string_view key) { return target_->HolderOf(key); }

std::unique_ptr<StorageReader> StorageWrapper::Get(std::string_view key, ByteRange range) {
  return target_->Get(key, range);
}

std::optional<ObjectInfo> StorageWrapper::Stat(std::string_view key) { return target_->Stat(key); }

std::unique_ptr<Writer> StorageWrapper::Put(std::string_view key, const PutOptions& options) {
  return target_->Put(key, options);
}

void StorageWrapper::List(std::string_view prefix, const ListOptions& options,
                          const std::function<void(const ObjectInfo&)>& fn) {
  target_->List(prefix, options, fn);
}

void StorageWrapper::Delete(std::span<const std::string> keys) { target_->Delete(keys); }

void StorageWrapper::ListVersions(std::string_view prefix,
                                  const std::function<void(const ObjectVersion&)>& fn) {
  target_->ListVersions(prefix, fn);
}

void StorageWrapper::DeleteVersions(std::span<const ObjectVersion> versions) {
  target_->DeleteVersions(versions);
}

void StorageWrapper::ListTemporaryFiles(std::string_view prefix, const ListOptions& options,
                                        const std::function<void(const ObjectInfo&)>& fn) {
  target_->ListTemporaryFiles(prefix, options, fn);
}

bool StorageWrapper::Supports(StorageFeature feature) const { return target_->Supports(feature); }

uint64_t StorageWrapper::PutBufferUnit() const { return target_->PutBufferUnit(); }

uint64_t StorageWrapper::PutBufferBytes(uint64_t size) const {
  return target_->PutBufferBytes(size);
}

}  // namespace walnut
