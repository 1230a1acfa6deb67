#include "wal/archive_status.h"

#include <algorithm>
#include <cerrno>
#include <system_error>

#include <fcntl.h>
#include <fmt/format.h>
#include <stdio.h>
#include <unistd.h>

#include "common/error.h"
#include "storage/fs/fs_util.h"
#include "storage/fs/fs_writer.h"

namespace walnut {
namespace {

constexpr std::string_view kReadySuffix = ".ready";

}  // namespace

ArchiveStatus::ArchiveStatus(std::filesystem::path pg_wal) : pg_wal_(std::move(pg_wal)) {}

std::filesystem::path ArchiveStatus::MarkerPath(std::string_view name) const {
  return data_dir() / "walg_archive_status" / std::string(name);
}

bool ArchiveStatus::HasUploadedMarker(std::string_view name) const {
  std::error_code ec;
  return std::filesystem::exists(MarkerPath(name), ec);
}

bool ArchiveStatus::ConsumeUploadedMarker(std::string_view name) const {
  std::string path = MarkerPath(name).string();
  if (::unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  ThrowSystemError(fmt::format("cannot remove upload-ahead marker {}", path));
}

void ArchiveStatus::MarkUploaded(std::string_view name) const {
  // An empty file appears whole or not at all, so it needs no temporary name. Not synced: a
  // marker lost in a crash only makes PostgreSQL push the file again, and that push finds it
  // archived with equal content.
  std::filesystem::path path = MarkerPath(name);
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    throw Error(ErrorCode::kIo, fmt::format("cannot create directory {}: {}",
                                            path.parent_path().string(), ec.message()));
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) ThrowSystemError(fmt::format("cannot create upload-ahead marker {}", path.string()));
  ::close(fd);
}

std::vector<std::string> ArchiveStatus::ReadyFiles() const {
  std::vector<std::string> names;
  std::error_code ec;
  std::filesystem::directory_iterator it(pg_wal_ / "archive_status", ec);
  if (ec) return names;  // no archive_status: nothing waits
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string file = it->path().filename().string();
    if (file.size() > kReadySuffix.size() && file.ends_with(kReadySuffix)) {
      names.push_back(file.substr(0, file.size() - kReadySuffix.size()));
    }
  }
  if (ec) {
    throw Error(ErrorCode::kIo, fmt::format("cannot list {}: {}",
                                            (pg_wal_ / "archive_status").string(), ec.message()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

void ArchiveStatus::MarkDone(std::string_view name) const {
  std::filesystem::path dir = pg_wal_ / "archive_status";
  std::string ready = (dir / (std::string(name) + ".ready")).string();
  std::string done = (dir / (std::string(name) + ".done")).string();
  if (::rename(ready.c_str(), done.c_str()) != 0) {
    if (errno == ENOENT) return;  // PostgreSQL's archiver got there first
    ThrowSystemError(fmt::format("cannot rename {} to {}", ready, done));
  }
  if (int err = SyncDirectory(dir.string()); err != 0) {
    ThrowSystemError(fmt::format("cannot sync directory {}", dir.string()), err);
  }
}

void WriteFileAtomically(const std::filesystem::path& path, std::string_view content) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    throw Error(ErrorCode::kIo, fmt::format("cannot create directory {}: {}",
                                            path.parent_path().string(), ec.message()));
  }
  auto writer = FsWriter::Create(path.string());
  writer->Write(AsBytes(content));
  writer->Close();
}

}  // namespace walnut
