#include "wal/archive_status.h"

#include <algorithm>
#include <cerrno>

#include <fcntl.h>
#include <fmt/format.h>

#include "common/error.h"
#include "common/logging.h"
#include "localfs/paths.h"

namespace walnut {
namespace {

constexpr std::string_view kReadySuffix = ".ready";

}  // namespace

ArchiveStatus::ArchiveStatus(LocalFs& fs, std::filesystem::path pg_wal)
    : fs_(fs), pg_wal_(std::move(pg_wal)) {}

std::filesystem::path ArchiveStatus::MarkerPath(std::string_view name) const {
  return data_dir() / "walg_archive_status" / std::string(name);
}

bool ArchiveStatus::HasUploadedMarker(std::string_view name) const {
  FileStat stat;
  return fs_.Stat(MarkerPath(name).string(), stat, /*follow_links=*/false) == 0;
}

bool ArchiveStatus::ConsumeUploadedMarker(std::string_view name) const {
  std::string path = MarkerPath(name).string();
  int err = fs_.Unlink(path);
  if (err == 0) return true;
  if (err == ENOENT || err == ENOTDIR) return false;
  ThrowSystemError("cannot remove upload-ahead marker", path, err);
}

void ArchiveStatus::MarkUploaded(std::string_view name) const {
  // An empty file appears whole or not at all, so it needs no temporary name. Not synced: a
  // marker lost in a crash only makes PostgreSQL push the file again, and that push finds it
  // archived with equal content.
  std::filesystem::path path = MarkerPath(name);
  CreateDirectories(fs_, path.parent_path().string(), 0777, /*sync=*/false);
  LocalFile marker;
  if (int err = fs_.Open(path.string(), O_WRONLY | O_CREAT, 0600, marker)) {
    ThrowSystemError("cannot create upload-ahead marker", path.string(), err);
  }
  marker.Close();
}

std::vector<std::string> ArchiveStatus::ReadyFiles() const {
  std::vector<std::string> names;
  std::string dir = (pg_wal_ / "archive_status").string();
  std::vector<DirectoryEntry> entries;
  if (int err = fs_.ListDirectory(dir, entries)) {
    if (err != ENOENT) {
      spdlog::warn("{}; no WAL file is uploaded ahead",
                   SystemError("cannot list", dir, err).what());
    }
    return names;
  }
  for (const DirectoryEntry& entry : entries) {
    const std::string& file = entry.name;
    if (file.size() > kReadySuffix.size() && file.ends_with(kReadySuffix)) {
      names.push_back(file.substr(0, file.size() - kReadySuffix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

void ArchiveStatus::MarkDone(std::string_view name) const {
  std::filesystem::path dir = pg_wal_ / "archive_status";
  std::string ready = (dir / (std::string(name) + ".ready")).string();
  std::string done = (dir / (std::string(name) + ".done")).string();
  if (int err = fs_.Rename(ready, done)) {
    if (err == ENOENT) return;  // PostgreSQL's archiver got there first
    ThrowSystemError(fmt::format("cannot rename {} to", ready), done, err);
  }
  SyncDirectoryOrThrow(fs_, dir.string());
}

}  // namespace walnut
