#include "support/faulty_local_fs.h"

#include <algorithm>

#include <fcntl.h>

namespace walnut::testing {

void FaultyLocalFs::FailCall(FsOp op, uint64_t nth, int err, uint64_t times,
                             std::string path_part) {
  MutexLock lock(mu_);
  faults_.push_back(Fault{op, std::move(path_part), nth, nth + times - 1, Action::kFail, err});
}

void FaultyLocalFs::ShortWrite(uint64_t nth, size_t keep, int err, std::string path_part) {
  MutexLock lock(mu_);
  faults_.push_back(
      Fault{FsOp::kWriteAt, std::move(path_part), nth, nth, Action::kShortWrite, err, keep});
}

void FaultyLocalFs::CrashAt(FsOp op, uint64_t nth, std::string path_part) {
  MutexLock lock(mu_);
  faults_.push_back(Fault{op, std::move(path_part), nth, nth, Action::kCrash, EIO});
}

void FaultyLocalFs::LimitSpace(uint64_t free_bytes) {
  MutexLock lock(mu_);
  free_ = free_bytes;
}

void FaultyLocalFs::Reset() {
  MutexLock lock(mu_);
  faults_.clear();
  crashed_ = false;
  free_.reset();
}

bool FaultyLocalFs::crashed() const {
  MutexLock lock(mu_);
  return crashed_;
}

uint64_t FaultyLocalFs::calls(FsOp op) const {
  MutexLock lock(mu_);
  auto it = calls_.find(op);
  return it == calls_.end() ? 0 : it->second;
}

uint64_t FaultyLocalFs::free_space() const {
  MutexLock lock(mu_);
  return free_.value_or(0);
}

FaultyLocalFs::Hit FaultyLocalFs::Count(FsOp op, const std::string& path,
                                        const std::string& other_path) {
  ++calls_[op];
  if (crashed_) return Hit{EIO, std::nullopt};
  // Every matching fault counts the call; the first one whose turn it is decides.
  const Fault* due = nullptr;
  for (Fault& fault : faults_) {
    if (fault.op != op) continue;
    if (!fault.path_part.empty() && path.find(fault.path_part) == std::string::npos &&
        other_path.find(fault.path_part) == std::string::npos) {
      continue;
    }
    ++fault.seen;
    if (due == nullptr && fault.seen >= fault.first && fault.seen <= fault.last) due = &fault;
  }
  if (due == nullptr) return Hit{};
  switch (due->action) {
    case Action::kFail:
      return Hit{due->err, std::nullopt};
    case Action::kShortWrite:
      return Hit{due->err, due->keep};
    case Action::kCrash:
      crashed_ = true;
      return Hit{EIO, std::nullopt};
  }
  return Hit{};
}

uint64_t FaultyLocalFs::SizeOf(const std::string& path) {
  FileStat stat;
  if (base().Stat(path, stat, /*follow_links=*/false) != 0) return 0;
  return stat.type == FileType::kRegular ? stat.size : 0;
}

int FaultyLocalFs::OpenDescriptor(const std::string& path, int flags, uint32_t mode, int& fd) {
  MutexLock lock(mu_);
  if (Hit hit = Count(FsOp::kOpen, path); hit.err != 0) return hit.err;
  uint64_t truncated = free_ && (flags & O_TRUNC) != 0 ? SizeOf(path) : 0;
  int err = base().OpenDescriptor(path, flags, mode, fd);
  if (err == 0 && free_) *free_ += truncated;
  return err;
}

int FaultyLocalFs::Read(LocalFile& file, ByteSpan dst, size_t& n) {
  MutexLock lock(mu_);
  if (Hit hit = Count(FsOp::kRead, file.path()); hit.err != 0) return hit.err;
  return base().Read(file, dst, n);
}

int FaultyLocalFs::ReadAt(LocalFile& file, ByteSpan dst, uint64_t offset, size_t& n) {
  MutexLock lock(mu_);
  if (Hit hit = Count(FsOp::kReadAt, file.path()); hit.err != 0) return hit.err;
  return base().ReadAt(file, dst, offset, n);
}

int FaultyLocalFs::WriteAt(LocalFile& file, ConstByteSpan src, uint64_t offset) {
  MutexLock lock(mu_);
  Hit hit = Count(FsOp::kWriteAt, file.path());
  if (hit.err != 0 && !hit.keep) return hit.err;
  size_t allowed = hit.keep ? std::min(*hit.keep, src.size()) : src.size();
  int err = hit.err;
  uint64_t size = 0;
  if (free_) {
    FileStat stat;
    if (int stat_err = base().StatFile(file, stat)) return stat_err;
    size = stat.size;
    uint64_t growth = offset + allowed > size ? offset + allowed - size : 0;
    if (growth > *free_) {
      // A full disk takes what fits, then says ENOSPC.
      uint64_t over = growth - *free_;
      allowed = over >= allowed ? 0 : allowed - static_cast<size_t>(over);
      err = ENOSPC;
    }
  }
  if (allowed > 0) {
    if (int write_err = base().WriteAt(file, src.first(allowed), offset)) return write_err;
  }
  if (free_ && offset + allowed > size) *free_ -= offset + allowed - size;
  return err;
}

int FaultyLocalFs::CopyRange(LocalFile& from, uint64_t from_offset, LocalFile& to,
                             uint64_t to_offset, size_t length, size_t& copied) {
  MutexLock lock(mu_);
  if (Hit hit = Count(FsOp::kCopyRange, to.path(), from.path()); hit.err != 0) return hit.err;
  // Under a space limit the copy goes through WriteAt, which keeps the account.
  if (free_) return ENOSYS;
  return base().CopyRange(from, from_offset, to, to_offset, length, copied);
}

int FaultyLocalFs::Truncate(LocalFile& file, uint64_t size) {
  MutexLock lock(mu_);
  if (Hit hit = Count(FsOp::kTruncate, file.path()); hit.err != 0) return hit.err;
  uint64_t before = 0;
  if (free_) {
    FileStat stat;
    if (int err = base().StatFile(file, stat)) return err;
    before = stat.size;
    if (size > before && size - before > *free_) return ENOSPC;
  }
  int err = base().Truncate(file, size);
  if (err == 0 && free_) *free_ = *free_ + before - size;
  return err;
}

int FaultyLocalFs::Sync(LocalFile& file) {
  MutexLock lock(mu_);
  if (Hit hit = Count(FsOp::kSync, file.path()); hit.err != 0) return hit.err;
  return base().Sync(file);
}

int FaultyLocalFs::StatFile(LocalFile& file, FileStat& stat) {
  MutexLock lock(mu_);
  if (Hit hit = Count(FsOp::kStatFile, file.path()); hit.err != 0) return hit.err;
  return base().StatFile(file, stat);
}

int FaultyLocalFs::Close(LocalFile& file) {
  MutexLock lock(mu_);
  Hit hit = Count(FsOp::kClose, file.path());
  // The descriptor is released whatever happens, as close(2) does.
  int err = base().Close(file);
  return hit.err != 0 ? hit.err : err;
}

int FaultyLocalFs::Stat(const std::string& path, FileStat& stat, bool follow_links) {
  MutexLock lock(mu_);
  if (Hit hit = Count(FsOp::kStat, path); hit.err != 0) return hit.err;
  return base().Stat(path, stat, follow_links);
}

int FaultyLocalFs::ListDirectory(const std::string& path, std::vector<DirectoryEntry>& entries) {
  MutexLock lock(mu_);
  if (Hit hit = Count(FsOp::kListDirectory, path); hit.err != 0) return hit.err;
  return base().ListDirectory(path, entries);
}

int FaultyLocalFs::MakeDirectory(const std::string& path, uint32_t mode) {
  MutexLock lock(mu_);
  if (Hit hit = Count(FsOp::kMakeDirectory, path); hit.err != 0) return hit.err;
  return base().MakeDirectory(path, mode);
}

int FaultyLocalFs::Rename(const std::string& from, const std::string& to) {
  MutexLock lock(mu_);
  if (Hit hit = Count(FsOp::kRename, from, to); hit.err != 0) return hit.err;
  uint64_t replaced = free_ ? SizeOf(to) : 0;
  int err = base().Rename(from, to);
  if (err == 0 && free_) *free_ += replaced;
  return err;
}

int FaultyLocalFs::Unlink(const std::string& path) {
  MutexLock lock(mu_);
  if (Hit hit = Count(FsOp::kUnlink, path); hit.err != 0) return hit.err;
  uint64_t size = free_ ? SizeOf(path) : 0;
  int err = base().Unlink(path);
  if (err == 0 && free_) *free_ += size;
  return err;
}

int FaultyLocalFs::RemoveDirectory(const std::string& path) {
  MutexLock lock(mu_);
  if (Hit hit = Count(FsOp::kRemoveDirectory, path); hit.err != 0) return hit.err;
  return base().RemoveDirectory(path);
}

int FaultyLocalFs::Symlink(const std::string& target, const std::string& path) {
  MutexLock lock(mu_);
  if (Hit hit = Count(FsOp::kSymlink, path); hit.err != 0) return hit.err;
  return base().Symlink(target, path);
}

int FaultyLocalFs::ReadLink(const std::string& path, std::string& target) {
  MutexLock lock(mu_);
  if (Hit hit = Count(FsOp::kReadLink, path); hit.err != 0) return hit.err;
  return base().ReadLink(path, target);
}

int FaultyLocalFs::SetMode(const std::string& path, uint32_t mode) {
  MutexLock lock(mu_);
  if (Hit hit = Count(FsOp::kSetMode, path); hit.err != 0) return hit.err;
  return base().SetMode(path, mode);
}

int FaultyLocalFs::SetMtime(const std::string& path, int64_t seconds) {
  MutexLock lock(mu_);
  if (Hit hit = Count(FsOp::kSetMtime, path); hit.err != 0) return hit.err;
  return base().SetMtime(path, seconds);
}

int FaultyLocalFs::SyncDirectory(const std::string& path) {
  MutexLock lock(mu_);
  if (Hit hit = Count(FsOp::kSyncDirectory, path); hit.err != 0) return hit.err;
  return base().SyncDirectory(path);
}

int FaultyLocalFs::FreeSpace(const std::string& path, uint64_t& bytes) {
  MutexLock lock(mu_);
  if (Hit hit = Count(FsOp::kFreeSpace, path); hit.err != 0) return hit.err;
  if (free_) {
    bytes = *free_;
    return 0;
  }
  return base().FreeSpace(path, bytes);
}

}  // namespace walnut::testing
