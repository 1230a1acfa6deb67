#pragma once

#include <string>
#include <string_view>

#include "storage/locked_objects.h"
#include "storage/storage.h"

namespace walnut {

// A prefix view of a Storage, as WAL-G's storage.Folder: keys given to a Folder are relative to
// its path. Cheap to copy; does not own the Storage. Thread-safe as the Storage is.
class Folder {
 public:
  Folder(Storage& storage, std::string path);

  // A folder below this one; `name` may contain '/'.
  Folder Sub(std::string_view name) const;

  // The full key of `name` in the storage.
  std::string Key(std::string_view name) const;
  // The folder's path in the storage: "" for the root, else ending with '/'.
  const std::string& path() const { return path_; }
  Storage& storage() const { return *storage_; }

  std::unique_ptr<StorageReader> Get(std::string_view name, ByteRange range = {}) const;
  std::optional<ObjectInfo> Stat(std::string_view name) const;
  std::unique_ptr<Writer> Put(std::string_view name, const PutOptions& options = {}) const;
  // Lists objects below the folder; the keys reported are relative to the folder.
  void List(std::string_view prefix, const ListOptions& options,
            const std::function<void(const ObjectInfo&)>& fn) const;
  // Storage::ListTemporaryFiles below the folder; keys relative to the folder.
  void ListTemporaryFiles(std::string_view prefix, const ListOptions& options,
                          const std::function<void(const ObjectInfo&)>& fn) const;
  // Storage::Delete; an ObjectsLockedError names the keys relative to the folder.
  void Delete(std::span<const std::string> names) const;
  // Storage::ListVersions and DeleteVersions below the folder; keys relative to the folder.
  void ListVersions(std::string_view prefix,
                    const std::function<void(const ObjectVersion&)>& fn) const;
  void DeleteVersions(std::span<const ObjectVersion> versions) const;

 private:
  ObjectsLockedError Relative(const ObjectsLockedError& e) const;

  Storage* storage_;
  std::string path_;
};

// Joins key parts with exactly one '/' between them.
std::string JoinKey(std::string_view a, std::string_view b);

}  // namespace walnut
