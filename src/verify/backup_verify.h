#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "backup/backup_catalog.h"
#include "common/rfc3339.h"
#include "common/bytes.h"
#include "pipeline/pipeline.h"
#include "storage/folder.h"

namespace walnut::verify {

struct VerifyOptions {
  // A backup name or LATEST; ignored with `all`.
  std::string backup_name = "LATEST";
  bool all = false;                // every backup of the storage
  int download_concurrency = 10;   // WALG_DOWNLOAD_CONCURRENCY: tars read at once
  int download_file_retries = 15;  // WALG_DOWNLOAD_FILE_RETRIES: for retryable read errors
  uint64_t wal_segment_size = 16u << 20;
  // Told the content bytes of every file read (from several threads): the progress line.
  std::function<void(uint64_t)> on_bytes;
};

struct VerifyResult {
  Timestamp started_at{};
  Timestamp finished_at{};
  std::vector<std::string> backups;  // the names checked, oldest first
  uint64_t backups_checked = 0;
  uint64_t backups_failed = 0;
  uint64_t files_checked = 0;  // regular files read from the tars and hashed
  uint64_t bytes_read = 0;     // their content bytes
  uint64_t wal_segments_checked = 0;
  uint64_t wal_segments_missing = 0;
  std::vector<std::string> errors;  // one line each, naming what failed

  bool success() const { return errors.empty(); }
};

// Reads back every part of the chosen backups (and, for a delta, of every backup of its chain)
// through the download pipeline (decrypt, decompress, SHA-256 of the stored object against the
// sentinel's or the object's record), parses the tar streams without writing anything locally,
// and checks:
//  - every file's SHA-256 against files_metadata.json ("Sha256", recorded by Walnut);
//  - the page checksums of relation files (whole files and increments' pages) when the backup's
//    pg_control says the cluster has data checksums; pages at or past the backup's start LSN are
//    not judged (WAL replay rewrites them);
//  - every increment's header, as backup-fetch validates it before applying it, and the chain of
//    a delta (each base present, of the same system, listing what the delta needs);
//  - that every part the sentinel or files_metadata.json names exists, and that every file and
//    directory files_metadata.json lists is in some tar;
//  - that the WAL from the oldest checked backup's start segment to the newest archived segment
//    (following the newest timeline's history) is all there, and reaches every backup's end.
// Never throws for what it finds: every problem is one line in `errors`. Throws only when the
// storage cannot be listed at all (no backup to check is an error line).
//
// Memory: per backup being checked, its files_metadata entries (path, SHA-256, flags: about
// 150 bytes a file), plus WALG_DOWNLOAD_CONCURRENCY tar streams in flight, each holding the
// pipeline's stage buffers (kStageDepth x 256 KiB) and one 1 MiB read buffer; the WAL listing
// costs 8 bytes a segment. Independent of the size of the files.
VerifyResult VerifyBackups(const BackupCatalog& catalog, const Folder& wal_folder,
                           const PipelineOptions& pipeline, const VerifyOptions& options);

// Whether the cluster whose global/pg_control is `control` has data checksums
// (data_checksum_version != 0). nullopt when the layout is not the one this reads (PostgreSQL 12
// to 16 on a 64-bit host, 8 KiB blocks: checked by its block and segment size fields); page
// checksums are then not checked, and VerifyBackups warns so, naming the backup.
std::optional<bool> ControlFileHasDataChecksums(ConstByteSpan control);

}  // namespace walnut::verify
