#pragma once

#include <memory>
#include <string>

#include "storage/storage.h"

namespace walnut {

// Forwards every call to a target Storage, as LevelDB's EnvWrapper does: a wrapper (fault
// injection, rate limiting, metrics) derives from it and overrides only what it changes.
// Thread-safe when the target is.
class StorageWrapper : public Storage {
 public:
  // Owns the target.
  explicit StorageWrapper(std::unique_ptr<Storage> target);
  // Borrows the target. REQUIRES: it outlives this wrapper.
  explicit StorageWrapper(Storage& target);

  Storage& target() const { return *target_; }

  std::string Describe() const override;
  std::string HolderOf(std::string_view key) override;
  std::unique_ptr<StorageReader> Get(std::string_view key, ByteRange range = {}) override;
  std::optional<ObjectInfo> Stat(std::string_view key) override;
  std::unique_ptr<Writer> Put(std::string_view key, const PutOptions& options = {}) override;
  void List(std::string_view prefix, const ListOptions& options,
            const std::function<void(const ObjectInfo&)>& fn) override;
  void Delete(std::span<const std::string> keys) override;
  void ListVersions(std::string_view prefix,
                    const std::function<void(const ObjectVersion&)>& fn) override;
  void DeleteVersions(std::span<const ObjectVersion> versions) override;
  void ListTemporaryFiles(std::string_view prefix, const ListOptions& options,
                          const std::function<void(const ObjectInfo&)>& fn) override;
  bool Supports(StorageFeature feature) const override;
  uint64_t PutBufferUnit() const override;
  uint64_t PutBufferBytes(uint64_t size) const override;

 private:
  std::unique_ptr<Storage> owned_;
  Storage* target_;
};

}  // namespace walnut
