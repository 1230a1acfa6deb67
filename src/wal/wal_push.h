#pragma once

#include <chrono>
#include <filesystem>

#include "storage/folder.h"
#include "wal/wal_push_file.h"

namespace walnut {

struct WalPushOptions {
  LocalFs& fs;  // the WAL file and wal-push's status files in pg_wal
  WalPushFileOptions file{};
  // Files uploaded at once, the requested one included (WALG_UPLOAD_CONCURRENCY, possibly lowered
  // to keep memory in budget). 1 disables uploading ahead.
  int parallel_uploads = 16;
  // TOTAL_BG_UPLOADED_LIMIT: at most this many other .ready files are uploaded ahead per call.
  int upload_ahead_limit = 32;
  // PG_READY_RENAME: after uploading a file ahead, rename its .ready to .done (PostgreSQL then
  // never asks for it) instead of leaving a marker for the next call.
  bool ready_rename = false;
  // How long after the call's start uploads ahead may still start (see AheadSchedule; capped at
  // a quarter of `timeout`). Long enough that the workers' idle tail at the end of a call and
  // the calls in between stay small next to the uploads (a backlog of zstd segments on a busy
  // machine takes ~2 s per upload); short enough that PostgreSQL's archiver (and a
  // pg_backup_stop waiting for it) is not held up for long.
  std::chrono::milliseconds ahead_window{10'000};
  // The whole call's deadline (WALNUT_WAL_PUSH_TIMEOUT); zero for none. No upload ahead starts
  // that could push the call past it.
  std::chrono::milliseconds timeout{0};
};

// WAL-G's wal-push (archive_command = 'walnut wal-push %p'): archives the WAL file at `path` into
// `root`/wal_005/ (see PushWalFile) and returns only once it is durably stored.
// - If an earlier call uploaded the file ahead (its marker exists, see ArchiveStatus), removes the
//   marker and returns at once, without touching the storage.
// - Uploads the other files PostgreSQL has marked .ready (in name order, up to
//   upload_ahead_limit) on the other parallel_uploads - 1 threads while the file uploads, and on
//   all parallel_uploads once it is stored, and marks each one once it is durably stored, so
//   that PostgreSQL's next calls return at once. New ones start only as AheadSchedule allows
//   (ahead_window, timeout); the call waits for those started. A failure of one of those is a
//   warning (PostgreSQL will ask for the file again); it leaves no marker.
// Throws what PushWalFile throws for the requested file, after the uploads ahead have finished.
void WalPush(const Folder& root, const std::filesystem::path& path, const WalPushOptions& options);

}  // namespace walnut
