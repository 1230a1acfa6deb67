#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "storage/storage.h"

namespace walnut {

class FsWriter;

// A local directory as a Storage (WAL-G's WALG_FILE_PREFIX): key "a/b" is the file <root>/a/b.
// Directories (the root included, as WAL-G does) are created on Put and empty ones are removed
// again on Delete, so a non-recursive List matches what an object store would report. Writes are
// atomic (see FsWriter): a hidden temporary file in the same directory, renamed on Close. Keys
// that could leave the root ("..", "/abs") are rejected with kInvalidArgument.
// Thread-safe: it keeps no state besides the root.
class FsStorage : public Storage {
 public:
  // `root` may be relative (made absolute now) and need not exist yet. Throws kInvalidArgument
  // when it is empty or exists but is not a directory.
  explicit FsStorage(const std::filesystem::path& root);

  std::string Describe() const override;  // "file:///abs/root"
  std::unique_ptr<Reader> Get(std::string_view key, ByteRange range = {}) override;
  std::optional<ObjectInfo> Stat(std::string_view key) override;
  std::unique_ptr<Writer> Put(std::string_view key, const PutOptions& options = {}) override;
  // Reports regular files only: temporary files, symlinked directories, sockets and the like are
  // skipped. A recursive listing walks the tree depth-first in key order; memory is bounded by the
  // largest directory.
  void List(std::string_view prefix, const ListOptions& options,
            const std::function<void(const ObjectInfo&)>& fn) override;
  void Delete(std::span<const std::string> keys) override;
  bool Supports(StorageFeature feature) const override;

  const std::string& root() const { return root_; }

 private:
  std::string PathOf(std::string_view key) const;
  // Creates `dir` and its missing parents, syncing each parent that gained an entry.
  void MakeDirectories(const std::string& dir) const;
  std::unique_ptr<FsWriter> CreateWriter(std::string_view key) const;
  void ListDirectory(const std::string& dir_key, std::string_view name_prefix, bool recursive,
                     const std::function<void(const ObjectInfo&)>& fn) const;
  bool ContainsObjects(const std::string& dir_key) const;
  void RemoveEmptyParents(std::string_view key) const;

  std::string root_;  // absolute, normalised, without a trailing '/' (except for "/")
};

}  // namespace walnut
