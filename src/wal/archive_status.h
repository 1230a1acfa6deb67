#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "localfs/local_fs.h"

namespace walnut {

// wal-push's local state in pg_wal, laid out as WAL-G lays it out so that either tool can take
// over from the other:
//   <pg_wal>/archive_status/<name>.ready           PostgreSQL: <name> waits to be archived
//   <pg_wal>/archive_status/<name>.done            PostgreSQL: <name> is archived
//   <pg_wal>/walg_data/walg_archive_status/<name>  an earlier wal-push uploaded <name> ahead
// A marker exists only once its object is durably stored: it is created (empty) after the
// upload's Close() returned. It is not synced: a marker lost in a crash only makes PostgreSQL
// push the file again, which then finds it archived with equal content.
// Files are reached through `fs`, which must outlive the ArchiveStatus.
// Thread-safe: each call touches only its own files.
class ArchiveStatus {
 public:
  // `pg_wal`: the directory holding the WAL file being pushed (the directory of %p).
  ArchiveStatus(LocalFs& fs, std::filesystem::path pg_wal);

  // If the upload-ahead marker of `name` exists, removes it and returns true (the file is
  // archived already). Throws kIo naming the marker when it cannot be removed.
  bool ConsumeUploadedMarker(std::string_view name) const;
  bool HasUploadedMarker(std::string_view name) const;
  // Records that `name` is durably archived. Throws kIo naming the marker.
  void MarkUploaded(std::string_view name) const;

  // The files PostgreSQL waits to archive (archive_status/*.ready), by name; empty when the
  // directory does not exist or cannot be read (uploading ahead is only an optimisation).
  std::vector<std::string> ReadyFiles() const;
  // Renames archive_status/<name>.ready to .done, as PostgreSQL does after a successful
  // archive_command (PG_READY_RENAME). A .ready file that is already gone is not an error.
  void MarkDone(std::string_view name) const;

  LocalFs& fs() const { return fs_; }
  const std::filesystem::path& pg_wal() const { return pg_wal_; }
  // <pg_wal>/walg_data: where wal-push keeps local state (also the archive identity cache).
  std::filesystem::path data_dir() const { return pg_wal_ / "walg_data"; }

 private:
  std::filesystem::path MarkerPath(std::string_view name) const;

  LocalFs& fs_;
  std::filesystem::path pg_wal_;
};

}  // namespace walnut
