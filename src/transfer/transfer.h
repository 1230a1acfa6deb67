#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

#include "pipeline/pipeline.h"
#include "storage/folder.h"

namespace walnut::transfer {

// `st transfer`, as WAL-G's (docs/StorageTools.md): moves objects from one configured storage to
// another, usually from a failover storage back to the primary once it is alive again.
struct TransferOptions {
  bool overwrite = false;  // -o: also objects the target already has (else they stay in both)
  bool preserve = false;   // -p: copy, do not delete from the source
  bool fail_fast = false;  // stop at the first object that fails
  int concurrency = 10;    // -c
  uint64_t max_files = std::numeric_limits<uint64_t>::max();  // -m
  uint64_t max_backups = std::numeric_limits<uint64_t>::max();
  // Checks that a copied object can be read from the target before the source's is deleted
  // (for storages without read-after-write consistency).
  unsigned appearance_checks = 3;
  std::chrono::milliseconds appearance_interval{1000};
  const PipelineOptions* pipeline = nullptr;  // to verify objects by their content digest
};

struct TransferResult {
  uint64_t moved = 0;    // copied (and deleted from the source unless preserved)
  uint64_t skipped = 0;  // already in the target
};

// Moves every object under `prefix` (at any depth). The target is listed once, at the start.
// Throws, after trying every object (or at the first failure with fail_fast), an Error saying
// how many failed; each failure is logged with its object.
TransferResult TransferFiles(const Folder& source, const Folder& target, const std::string& prefix,
                             const TransferOptions& options);

// Moves whole backups: every object of a backup first, its sentinel last, so that the target
// never lists a backup that is not whole; then deletes the source's sentinel first, so that the
// source never lists a partly deleted one. A backup whose sentinel the target has is skipped
// unless overwrite.
TransferResult TransferBackups(const Folder& source, const Folder& target,
                               const TransferOptions& options);

// `copy`, as WAL-G's: copies between two configured storages, leaving the source as it is.
struct CopyOptions {
  std::string backup_name;       // "" for everything; a name or LATEST
  bool with_history = false;     // the backup's WAL and all WAL after it
  bool without_history = false;  // the backup alone, no WAL
  uint64_t wal_segment_size = 16 << 20;
  int concurrency = 8;
  const PipelineOptions* pipeline = nullptr;
};

struct CopyResult {
  uint64_t copied = 0;
  uint64_t skipped = 0;  // the target had the object with the same size
  uint64_t bytes = 0;
};

// Copies a backup with the WAL from its start to its end (with_history: to the newest), or
// with an empty name everything in the storage. Objects go byte for byte with their metadata,
// each checked on the way (CopyStoredObject); objects the target already has with the same size
// are skipped, so a re-run copies only what is missing; sentinels are written last.
CopyResult CopyArchive(const Folder& from, const Folder& to, const CopyOptions& options);

}  // namespace walnut::transfer
