#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "backup/backup_metadata.h"
#include "backup/tar_writer.h"
#include "localfs/local_fs.h"

namespace walnut {

// One file-system object of a data directory to back up.
struct WalkedEntry {
  TarEntry header;          // name relative to PGDATA with a leading '/', size from lstat
  std::string source_path;  // where to read the content (through tablespace links)
  Timestamp mtime{};        // with nanoseconds, for files_metadata's MTime
  // Relation data files (base/, global/, pg_tblspc/ with a relation file name): their pages carry
  // checksums. first_block is the block number of the file's first page (segment N of a
  // relation starts at N * 131072).
  bool has_page_checksums = false;
  uint32_t first_block = 0;
};

// What the walker reports, in lexical order within each directory (as Go's filepath.Walk, so
// backups of the same tree are laid out the same way).
struct PgDataWalkVisitor {
  std::function<void(WalkedEntry&&)> on_entry;
  // global/pg_control: held back by backup-push and stored last, in a tar of its own.
  std::function<void(WalkedEntry&&)> on_pg_control;
};

// Walks PGDATA for a base backup, leaving out what PostgreSQL recreates or does not need, as the
// union of WAL-G's ExcludedFilenames (internal/databases/postgres/bundle.go) and what pg_basebackup
// skips safely (src/backend/backup/basebackup.c); see docs/backup-format.md for the list and
// reasons. Tablespace links in pg_tblspc are followed: their contents are reported under
// /pg_tblspc/<oid>/... and the links recorded in spec(). Objects that vanish during the walk are
// skipped. Throws kIo / kNotFound for PGDATA itself or an unreadable directory. Reads through `fs`,
// which must outlive the walker. Not thread-safe.
class PgDataWalker {
 public:
  PgDataWalker(LocalFs& fs, std::string pgdata);

  void Walk(const PgDataWalkVisitor& visitor);

  // The tablespaces found (empty names when there were none). base_prefix is PGDATA.
  const TablespaceSpec& spec() const { return spec_; }

  // The decision for one name, exposed for tests. `relative_dir` is the directory relative to
  // PGDATA without slashes at either end ("" for PGDATA itself, "base/5"); `name` the basename.
  enum class Decision { kInclude, kSkip, kDirectoryOnly };
  static Decision Classify(std::string_view relative_dir, std::string_view name, bool is_directory);

 private:
  void WalkDirectory(const std::string& source_dir, const std::string& relative_dir,
                     const PgDataWalkVisitor& visitor);
  void Report(const std::string& source_path, const std::string& relative_path,
              const PgDataWalkVisitor& visitor, bool follow_link);

  LocalFs& fs_;
  std::string pgdata_;
  TablespaceSpec spec_;
};

// Whether a data-directory relative path is a relation data file whose pages carry checksums,
// and the block number of its first page. nullopt otherwise.
std::optional<uint32_t> RelationFirstBlock(std::string_view relative_path);

}  // namespace walnut
