#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "backup/backup_catalog.h"
#include "common/rfc3339.h"
#include "backup/pgdata_walker.h"

namespace walnut {

// The files of a delta's base, from its files_metadata.json: which files existed (only those can
// be stored as increments) and which did not change since (those are skipped). Memory: one
// entry per file of the base (its path and two numbers).
class BaseFiles {
 public:
  // Reads the file list of backup `name`. Throws kNotFound when the base has no file list
  // (--without-files-metadata): a delta cannot be taken against it.
  static BaseFiles Load(const BackupCatalog& catalog, const std::string& name,
                        const BackupSentinel& sentinel);

  // `base_start`: when the base backup started.
  explicit BaseFiles(Timestamp base_start) : base_start_(base_start) {}

  void Add(std::string path, Timestamp mtime, std::optional<int64_t> size);

  bool Contains(std::string_view path) const { return files_.count(std::string(path)) != 0; }

  // Whether `entry` (a regular file) is unchanged since the base: the base has it with the same
  // size (when recorded) and exactly the same mtime, and that mtime is older than the base's
  // start by a safety margin. The margin matters: a file written again within the same clock
  // tick as the base read it keeps its mtime, and the base would then hold an older content
  // that no WAL replayed from the delta's start repairs. WAL-G compares the mtime alone.
  bool Unchanged(const WalkedEntry& entry) const;

  size_t size() const { return files_.size(); }

 private:
  struct File {
    Timestamp mtime;
    std::optional<int64_t> size;
  };
  Timestamp base_start_;
  std::unordered_map<std::string, File> files_;
};

// Files whose mtime is within this of the base's start are read again whatever their mtime.
inline constexpr std::chrono::seconds kUnchangedMtimeMargin{1};

}  // namespace walnut
