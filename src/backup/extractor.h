#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "backup/file_syncer.h"
#include "backup/tar_reader.h"
#include "common/mutex.h"
#include "io/digest.h"
#include "io/reader.h"
#include "localfs/local_fs.h"

namespace walnut {

// What one regular file of a tar contributes to a restore. A full backup's files are all kWhole
// and final; a delta chain (delta/chain_restorer.h) restores a file from several pieces.
struct FilePiece {
  enum class Kind {
    kSkip,   // not needed from this tar: nothing is written
    kWhole,  // the file's whole content: the file is (re)written from it
    kPatch,  // handed to FilePieceHandler::Patch with the file open read-write
  };
  Kind kind = Kind::kWhole;
  std::string sha256_hex;  // of the entry's stored bytes; "" when none is recorded
  // The file is complete after this piece: mode and mtime are applied, it is synced and counted.
  bool final = true;
  uint32_t mode = 0;
  int64_t mtime = 0;
};

// Decides, for a restore made of several pieces per file, what each regular file contributes.
// Called from several extracting threads at once (one tar each).
class FilePieceHandler {
 public:
  virtual ~FilePieceHandler() = default;
  // Before anything of the entry is read or written.
  virtual FilePiece Plan(const std::string& relative, const TarEntry& entry,
                         const std::string& tar_name) = 0;
  // For kPatch: applies `content` (the entry's entry.size bytes) to the open `file`.
  virtual void Patch(const std::string& relative, const TarEntry& entry, Reader& content,
                     LocalFile& file, const std::string& tar_name) = 0;
};

struct ExtractOptions {
  // fsync every file and every directory written (WALG_TAR_DISABLE_FSYNC turns it off).
  bool fsync = true;
  // A shell pattern (fnmatch with FNM_PATHNAME, as Go's filepath.Match) on paths relative to the
  // target: only matching files and links are restored. "" restores everything. Directories are
  // always created.
  std::string mask;
  // Paths (relative, no leading '/') never restored, e.g. tablespace_map with --restore-spec.
  std::set<std::string> skip;
  // Write each file under a temporary name and rename it into place once synced, so that the
  // file never exists half-written (for pg_control).
  bool atomic_files = false;
  // Delta chains: decides per regular file (null: every file is restored whole).
  FilePieceHandler* pieces = nullptr;
  // Restore regular files only (an older level of a chain: directories and links come from the
  // target backup).
  bool files_only = false;
  // The backup the tar belongs to, for messages ("": the one given to the Extractor).
  std::string backup_name;
  // backup-fetch --delta: regular files already in the target with the backup's content; their
  // entries are skipped (null: none).
  const std::unordered_set<std::string>* keep = nullptr;
};

// Restores tar streams into a target directory: regular files (owned by the running user, with
// the tar's permission bits and mtime), directories (mode and mtime applied once everything inside
// them exists) and symlinks. Symlinks from a tar are created only by FinishDirectories(), after
// the files, so no entry is ever written through a link another entry planted; the only links
// followed while extracting are the ones that existed before (tablespace links), and later
// entries whose path runs through a tar's symlink are refused.
//
// Checks what files_metadata.json promises: Expect() declares a path the backup must restore and
// the SHA-256 of its stored bytes; a mismatch throws kCorruption naming the file, the tar and the
// backup, and Missing() reports what no tar delivered.
//
// Every file is written through `fs`, which must outlive the Extractor.
// Thread-safe: several tars may be extracted at once (one thread each).
class Extractor {
 public:
  // `target` must exist. `backup_name` names the backup in error messages.
  Extractor(LocalFs& fs, std::filesystem::path target, std::string backup_name);

  // Declares a path the backup must restore ("base/1/1259" or "/base/1/1259"), with the lower-case
  // hex SHA-256 of its content, or "" when none is recorded. Call before extracting.
  void Expect(std::string_view path, std::string_view sha256_hex);

  // Records `path` (relative) as restored without extracting it: a file or directory already in
  // the target as the backup has it (backup-fetch --delta).
  void MarkPresent(const std::string& path);
  // backup-fetch --delta: a symlink of the backup replaces one already at its path.
  void ReplaceExistingLinks() { replace_links_ = true; }

  // Extracts every entry of the tar stream `input`, named `tar_name` in messages.
  void ExtractTar(Reader& input, const std::string& tar_name, const ExtractOptions& options);

  // Waits until every file extracted so far is synced (files are synced on a worker thread, off
  // the extraction's path), then creates the symlinks met so far, applies directory modes and
  // mtimes, and (with fsync) syncs every directory that got a new entry. Call after a group of
  // tars, before the next group.
  void FinishDirectories(bool fsync);

  // Expected paths not restored yet, sorted, except those `ignore` returns true for.
  std::vector<std::string> Missing(
      const std::function<bool(const std::string&)>& ignore = {}) const;

  uint64_t bytes_restored() const { return bytes_restored_; }
  uint64_t files_restored() const { return files_restored_; }
  const std::filesystem::path& target() const { return target_; }

 private:
  struct Expected {
    std::string sha256_hex;
    bool restored = false;
  };
  struct PendingDirectory {
    uint32_t mode;
    int64_t mtime;
  };

  void RestoreFile(TarReader& tar, const TarEntry& entry, const ExtractOptions& options,
                   std::vector<std::byte>& buffer);
  // Writes the entry's content to `file`, from its start; returns the bytes written.
  uint64_t WriteWhole(TarReader& tar, const TarEntry& entry, LocalFile& file, Sha256Hasher* hasher,
                      std::vector<std::byte>& buffer);
  void RestoreDirectory(const TarEntry& entry, const std::string& tar_name);
  // Creates the missing parent directories of `relative` (mode 0700 until the tar's own entry
  // sets theirs) and refuses a path through a tar's symlink.
  void EnsureParents(const std::string& relative, const std::string& tar_name);
  // EnsureParents' work, and with include_self `relative` itself too.
  void MakeDirectoriesLocked(const std::string& relative, bool include_self,
                             const std::string& tar_name) REQUIRES(mu_);
  // Records `relative` as restored; returns the expected SHA-256 ("" when none).
  std::string ExpectedSha256(const std::string& relative);
  void MarkRestored(const std::string& relative);
  void MarkRestoredLocked(const std::string& relative) REQUIRES(mu_);

  LocalFs& fs_;
  const std::filesystem::path target_;
  const std::string backup_name_;

  mutable Mutex mu_;
  std::unordered_map<std::string, Expected> expected_ GUARDED_BY(mu_);
  std::set<std::string> known_directories_ GUARDED_BY(mu_);  // exist below target_
  std::set<std::string> directories_to_sync_ GUARDED_BY(mu_);
  std::map<std::string, PendingDirectory> directory_metadata_ GUARDED_BY(mu_);
  std::map<std::string, std::string> pending_symlinks_ GUARDED_BY(mu_);  // path -> target
  std::set<std::string> tar_symlinks_ GUARDED_BY(mu_);                   // created ones
  FileSyncer syncer_;
  bool replace_links_ = false;
  std::atomic<uint64_t> bytes_restored_{0};
  std::atomic<uint64_t> files_restored_{0};
};

}  // namespace walnut
