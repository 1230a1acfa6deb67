#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/mutex.h"
#include "storage/storage.h"

namespace walnut {

// Objects in a map, for unit tests and dry runs. It honours the Storage contract as the real
// backends do: an object appears only when its Writer's Close() returns, a Reader keeps the
// object it opened even if it is overwritten or deleted meanwhile, and List() pages through the
// map without holding the lock while `fn` runs (so fn may modify the storage).
// Thread-safe. REQUIRES: the storage outlives its Readers and Writers.
class MemoryStorage : public Storage {
 public:
  explicit MemoryStorage(std::string name = "memory");

  std::string Describe() const override;  // "memory://<name>"
  std::unique_ptr<StorageReader> Get(std::string_view key, ByteRange range = {}) override;
  std::optional<ObjectInfo> Stat(std::string_view key) override;
  std::unique_ptr<Writer> Put(std::string_view key, const PutOptions& options = {}) override;
  void List(std::string_view prefix, const ListOptions& options,
            const std::function<void(const ObjectInfo&)>& fn) override;
  void Delete(std::span<const std::string> keys) override;
  bool Supports(StorageFeature feature) const override;

  // The number of objects, for tests.
  size_t ObjectCount() const;

  // Stores an object at once, as a Writer of Put() does on Close(); handy for test setup.
  void Commit(std::string key, std::string data, std::map<std::string, std::string> metadata = {});

 private:
  struct Object {
    std::shared_ptr<const std::string> data;
    std::chrono::system_clock::time_point mtime;
    std::map<std::string, std::string> metadata;  // PutOptions::metadata, returned by Stat
  };

  std::string name_;
  mutable Mutex mu_;
  std::map<std::string, Object, std::less<>> objects_ GUARDED_BY(mu_);
};

}  // namespace walnut
