#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "backup/backup_metadata.h"
#include "backup/backup_session.h"
#include "backup/delta/delta_base.h"
#include "localfs/local_fs.h"
#include "pipeline/pipeline.h"
#include "storage/folder.h"

namespace walnut {

// backup-push settings (flags and WALG_* settings, resolved by the command).
struct BackupPushOptions {
  LocalFs& fs;             // PGDATA is read through it
  std::string data_dir{};  // PGDATA as given: checked against the server's data_directory
  bool permanent = false;
  bool verify_page_checksums = false;     // -v / WALG_VERIFY_PAGE_CHECKSUMS
  bool store_all_corrupt_blocks = false;  // -s / WALG_STORE_ALL_CORRUPT_BLOCKS
  bool without_files_metadata = false;    // --without-files-metadata
  std::string user_data{};                // raw JSON or ""
  uint64_t tar_size_threshold = (1u << 30) - 1;
  int disk_concurrency = 1;                   // tars filled at once
  int upload_queue = 2;                       // WALG_UPLOAD_QUEUE: filled tars finishing upload
  std::optional<uint64_t> disk_rate_limit{};  // bytes/s read from PGDATA
  // WALNUT_ARCHIVE_CHECK: refuse at once a primary that archives nothing (pg::ArchivingGap), and
  // wait for the backup's WAL to reach wal_005/ before writing the sentinel. false: neither, for
  // setups whose WAL reaches the storage another way (a warning says the backup depends on it).
  bool archive_check = true;
  // How long to wait for the last WAL segment the backup needs to reach wal_005/; 0: no wait.
  std::chrono::milliseconds archive_wait_timeout{60'000};
  std::chrono::milliseconds archive_poll_interval{1'000};
  const std::atomic<bool>* stop = nullptr;  // set by SIGINT/SIGTERM
  // Take a delta against this base (ChooseDeltaBase) instead of a full backup.
  std::optional<DeltaBase> delta{};
};

// Progress callbacks; may be called from several threads at once.
struct BackupPushObserver {
  std::function<void(uint64_t bytes)> on_bytes_read;
  std::function<void(const std::string& tar_name, uint64_t tar_bytes)> on_tar_uploaded;
};

struct BackupPushResult {
  std::string backup_name;
  BackupSentinel sentinel;
};

// Takes a base backup (docs/backup-format.md). With options.archive_check, first refuses
// (kFailedPrecondition, before the backup starts) a server whose settings show that it archives
// nothing. Then starts the backup on the server, walks PGDATA into
// tar_partitions/part_NNN.tar.<ext> (WALG_TAR_SIZE_THRESHOLD each, disk_concurrency at once,
// compressed, encrypted and uploaded as they are written; up to upload_queue filled tars finish
// their upload while the next ones fill), then pg_control.tar, stops the backup,
// writes backup_label.tar, waits until the WAL it needs is archived, then writes
// files_metadata.json, metadata.json and last the sentinel. Any failure (or a stop request)
// stops the backup on the server and leaves no sentinel: the backup does not exist for
// backup-list/fetch. `root` is the storage root (WALG_STORAGE_PREFIX applied).
// With options.delta, a delta backup (docs/backup-format.md, "Delta backups"): relation files the base has are stored as increments
// of the pages changed since the base's start, files unchanged since the base are recorded as
// skipped, the others go whole; the sentinel records the chain (DeltaFrom, DeltaFullName,
// DeltaCount, DeltaLSN). A permanent delta first marks its ancestors permanent.
BackupPushResult PushBackup(BackupSession& session, const Folder& root,
                            const PipelineOptions& pipeline, const BackupPushOptions& options,
                            const BackupPushObserver& observer = {});

// Throws kInvalidArgument unless `given` and the server's `server_data_directory` are the same
// directory once symbolic links are resolved (WAL-G's check).
void CheckDataDirectory(const std::string& given, const std::string& server_data_directory);

}  // namespace walnut
