#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "backup/backup_catalog.h"
#include "backup/delta/chain_restorer.h"
#include "backup/existing_target.h"
#include "localfs/local_fs.h"
#include "pipeline/pipeline.h"

namespace walnut {

struct BackupFetchOptions {
  LocalFs& fs;  // where the backup is restored
  std::string target_dir{};
  // A backup name or LATEST; ignored when target_user_data is set.
  std::string backup_name{};
  // --target-user-data / WALG_FETCH_TARGET_USER_DATA: JSON; the backup whose UserData equals it.
  std::string target_user_data{};
  std::string mask{};               // --mask: a shell pattern on paths relative to the target
  std::string restore_spec_path{};  // --restore-spec FILE; "" uses the backup's own Spec
  bool fsync = true;                // !WALG_TAR_DISABLE_FSYNC
  int download_concurrency = 10;    // WALG_DOWNLOAD_CONCURRENCY
  int download_file_retries = 15;   // WALG_DOWNLOAD_FILE_RETRIES
  // How a delta chain is applied (--reverse-unpack / WALG_USE_REVERSE_UNPACK).
  ChainOrder chain_order = ChainOrder::kReverse;
  // backup-fetch --delta / --delta-fast: restore into a directory that may hold a cluster already,
  // rewriting only what differs (nothing: the target must be empty or missing).
  std::optional<DeltaCheck> delta{};
  // --delta: restore even over a cluster of another system identifier.
  bool delta_other_cluster = false;
  // Polled before every read of a tar, from the download threads: once it returns true, the
  // restore ends with kCancelled naming the tar (and leaves no pg_control). Unset: never stops.
  std::function<bool()> stop_requested{};
};

struct BackupFetchResult {
  std::string backup_name;
  uint64_t files = 0;
  uint64_t bytes = 0;  // file content read from the tars (for a chain: every piece applied)
  // --delta: files already equal to the backup's (not rewritten), files read to compare them,
  // entries removed (the backup lacks them), tars not downloaded (all their files were kept).
  uint64_t files_kept = 0;
  uint64_t files_hashed = 0;
  uint64_t entries_removed = 0;
  uint64_t tars_skipped = 0;
  std::chrono::duration<double> elapsed{};
};

// Restores a base backup into an empty (or missing) directory, as WAL-G's backup-fetch, or with
// `delta` into one holding a cluster already (see "--delta" below):
//  1. Resolves the backup and reads its sentinel and files_metadata.json (when the backup has one).
//     For a delta backup, loads its chain (LoadChain) and plans where each file of the target
//     comes from (ChainPlan: reads every level's files metadata).
//  2. Creates the target (0700) and the tablespace links (Spec or --restore-spec).
//  3. Streams the data tars (part_*.tar.*) in parallel, WALG_DOWNLOAD_CONCURRENCY at a time,
//     storage -> decrypt -> decompress -> tar -> files, nothing staged on disk; each file and
//     directory is synced. A delta chain is extracted level by level in `chain_order`
//     (ChainRestorer), downloading only the tars of each level that hold a piece the plan takes
//     from it; increments are validated before they are applied.
//  4. Then, one after the other: backup_label.tar.* (without tablespace_map under --restore-spec)
//     and, once every other file is complete and checked, pg_control.tar.* (pg_control written
//     under a temporary name and renamed), so an interrupted restore can never be started.
// Checks every file's SHA-256 that files_metadata.json records (a Walnut addition) and that every
// file it lists arrived. Does not create recovery.signal nor set restore_command.
// --delta (options.delta): the target may hold a cluster. Refused (kFailedPrecondition) while a
// live postmaster owns it (postmaster.pid), when its pg_control names another system identifier
// than the backup's (unless delta_other_cluster), when it is not empty and has neither PG_VERSION
// nor global/pg_control, with --mask or tablespaces. global/pg_control is removed first (an
// interrupted delta restore cannot be started; a rerun completes it), the target compared with
// files_metadata.json (ReconcileExistingTarget), entries the backup lacks removed, and only the
// tars holding a file to rewrite downloaded; kept files are skipped in them.
// Throws kNotFound (backup), kAlreadyExists (non-empty target), kCorruption naming the object or
// file and the backup (for a chain: a broken chain, a damaged increment).
BackupFetchResult FetchBackup(const BackupCatalog& catalog, const PipelineOptions& pipeline,
                              const BackupFetchOptions& options);

}  // namespace walnut
