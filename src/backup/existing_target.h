#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "localfs/local_fs.h"

namespace walnut {

// backup-fetch --delta: restoring into a data directory that already holds a cluster (as
// pgBackRest's restore --delta). The files already there are compared with the backup's file list;
// those that match are kept, the others rewritten, and what the backup does not have is removed.

// How a file already in the target is judged equal to the backup's.
enum class DeltaCheck {
  // --delta: same size and same SHA-256 of the content (read in full).
  kChecksum,
  // --delta-fast (pgBackRest's --delta --force): same size and the same mtime (whole seconds) is
  // trusted without reading the file; otherwise as kChecksum.
  kSizeAndMtime,
};

// What the backup says of one path (from files_metadata.json).
struct BackupFileFacts {
  bool regular = false;          // a regular file (known from a recorded Size or SHA-256)
  std::optional<uint64_t> size;  // "Size"
  std::string sha256_hex;        // of the whole content; "" when unknown (increments, WAL-G)
  std::optional<int64_t> mtime;  // whole seconds, as the restore sets it
};

// What the target holds at that path.
struct LocalFileFacts {
  FileType type = FileType::kUnknown;
  uint64_t size = 0;
  int64_t mtime = 0;  // whole seconds
};

enum class DeltaVerdict {
  kKeep,     // equal: leave the file as it is
  kHash,     // equal size: read it and compare its SHA-256 with the backup's
  kRewrite,  // different (or unknowable): restore it from the backup
};

// The comparison of one regular file of the backup with what the target holds at its path.
DeltaVerdict CompareExistingFile(const BackupFileFacts& backup, const LocalFileFacts& local,
                                 DeltaCheck check);

// Throws kFailedPrecondition (one line naming the directory and the PID) when <dir>/postmaster.pid
// names a process that is alive: a running PostgreSQL owns the directory. A stale file (its
// process gone) is fine; the delta restore removes it with the rest the backup lacks.
// `alive` answers whether a PID runs (null: kill(pid, 0)).
void RefuseLivePostmaster(LocalFs& fs, const std::filesystem::path& dir,
                          const std::function<bool(int64_t)>& alive = {});

// The database system identifier in <dir>/global/pg_control (its first 8 bytes, little-endian as
// PostgreSQL writes it on x86 and arm), or nothing when there is no pg_control.
std::optional<uint64_t> ReadControlSystemIdentifier(LocalFs& fs, const std::filesystem::path& dir);

struct ExistingTargetOptions {
  DeltaCheck check = DeltaCheck::kChecksum;
  int concurrency = 2;  // files read and hashed at once
  bool fsync = true;
  // Paths never removed nor compared (kept by the caller: pg_control, which is always restored).
  std::unordered_set<std::string> leave_alone;
};

struct ExistingTargetResult {
  std::unordered_set<std::string> kept;     // regular files equal to the backup's: not rewritten
  std::unordered_set<std::string> present;  // directories (and symlinks) already in place
  uint64_t files_hashed = 0;
  uint64_t bytes_hashed = 0;
  uint64_t removed = 0;  // entries (a directory counts once) the backup does not have
  uint64_t rewrite = 0;  // regular files of the backup to restore (differing or absent)
};

// Walks `target` (without following symlinks) against `expected` (relative path -> facts; every
// path the backup restores, directories and links too) and decides what to keep: a regular file by
// CompareExistingFile (hashing the kHash ones, `concurrency` at once; a hashed file found equal
// gets the backup's mtime, so that a later --delta-fast trusts it), a directory or link the backup
// also has stays. Removes every entry the backup does not have, and every entry whose type differs
// from the backup's (a directory where the backup has a file). Throws Error naming the path.
ExistingTargetResult ReconcileExistingTarget(
    LocalFs& fs, const std::filesystem::path& target,
    const std::unordered_map<std::string, BackupFileFacts>& expected,
    const ExistingTargetOptions& options);

}  // namespace walnut
