#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "localfs/local_fs.h"
#include "storage/storage.h"

namespace walnut {

class AtomicFileWriter;

// A local directory as a Storage (WAL-G's WALG_FILE_PREFIX): key "a/b" is the file <root>/a/b.
// Directories (the root included, as WAL-G does) are created on Put and empty ones are removed
// again on Delete, so a non-recursive List matches what an object store would report. Writes are
// atomic (AtomicFileWriter): a hidden temporary file in the same directory, renamed on Close.
// Reads, writes and deletes go through a LocalFs; listings read the directories directly. Keys
// that could leave the root ("..", "/abs") are rejected with kInvalidArgument.
// Thread-safe: it keeps no state besides the root.
class FsStorage : public Storage {
 public:
  // `root` may be relative (made absolute now) and need not exist yet. Throws kInvalidArgument
  // when it is empty or exists but is not a directory.
  // REQUIRES: `fs` outlives the storage.
  explicit FsStorage(const std::filesystem::path& root, LocalFs& fs = LocalFs::Default());

  std::string Describe() const override;  // "file:///abs/root"
  std::unique_ptr<StorageReader> Get(std::string_view key, ByteRange range = {}) override;
  std::optional<ObjectInfo> Stat(std::string_view key) override;
  std::unique_ptr<Writer> Put(std::string_view key, const PutOptions& options = {}) override;
  // Reports regular files only: temporary files, symlinked directories, sockets and the like are
  // skipped. A recursive listing walks the tree depth-first in key order; memory is bounded by the
  // largest directory.
  void List(std::string_view prefix, const ListOptions& options,
            const std::function<void(const ObjectInfo&)>& fn) override;
  // Also removes temporary files named by ListTemporaryFiles().
  void Delete(std::span<const std::string> keys) override;
  // The hidden temporary files below `prefix` (a directory, "" for the root): writes in progress,
  // or left behind by a writer that was killed.
  void ListTemporaryFiles(std::string_view prefix, const ListOptions& options,
                          const std::function<void(const ObjectInfo&)>& fn) override;
  bool Supports(StorageFeature feature) const override;

  const std::string& root() const { return root_; }

 private:
  std::string PathOf(std::string_view key) const;
  std::unique_ptr<AtomicFileWriter> CreateWriter(std::string_view key) const;
  void ListDirectory(const std::string& dir_key, std::string_view name_prefix, bool recursive,
                     bool temporaries, const std::function<void(const ObjectInfo&)>& fn) const;
  bool ContainsObjects(const std::string& dir_key) const;
  void RemoveEmptyParents(std::string_view key) const;

  LocalFs& fs_;
  std::string root_;  // absolute, normalised, without a trailing '/' (except for "/")
};

}  // namespace walnut
