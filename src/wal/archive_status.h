#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace walnut {

// wal-push's local state in pg_wal, laid out as WAL-G lays it out so that either tool can take
// over from the other:
//   <pg_wal>/archive_status/<name>.ready           PostgreSQL: <name> waits to be archived
//   <pg_wal>/archive_status/<name>.done            PostgreSQL: <name> is archived
//   <pg_wal>/walg_data/walg_archive_status/<name>  an earlier wal-push uploaded <name> ahead
// A marker exists only once its object is durably stored: it is created (empty) after the
// upload's Close() returned. It is not synced: a marker lost in a crash only makes PostgreSQL
// push the file again, which then finds it archived with equal content.
// Thread-safe: each call touches only its own files.
class ArchiveStatus {
 public:
  // `pg_wal`: the directory holding the WAL file being pushed (the directory of %p).
  explicit ArchiveStatus(std::filesystem::path pg_wal);

  // If the upload-ahead marker of `name` exists, removes it and returns true (the file is
  // archived already). Throws kIo naming the marker when it cannot be removed.
  bool ConsumeUploadedMarker(std::string_view name) const;
  bool HasUploadedMarker(std::string_view name) const;
  // Records that `name` is durably archived. Throws kIo naming the marker.
  void MarkUploaded(std::string_view name) const;

  // The files PostgreSQL waits to archive (archive_status/*.ready), by name; empty when the
  // directory does not exist.
  std::vector<std::string> ReadyFiles() const;
  // Renames archive_status/<name>.ready to .done, as PostgreSQL does after a successful
  // archive_command (PG_READY_RENAME). A .ready file that is already gone is not an error.
  void MarkDone(std::string_view name) const;

  const std::filesystem::path& pg_wal() const { return pg_wal_; }
  // <pg_wal>/walg_data: where wal-push keeps local state (also the archive identity cache).
  std::filesystem::path data_dir() const { return pg_wal_ / "walg_data"; }

 private:
  std::filesystem::path MarkerPath(std::string_view name) const;

  std::filesystem::path pg_wal_;
};

// Writes `content` to `path` atomically and durably: temporary file in the same directory, fsync,
// rename, fsync of the directory. Creates missing directories. Throws kIo naming the path.
void WriteFileAtomically(const std::filesystem::path& path, std::string_view content);

}  // namespace walnut
