#pragma once

#include "localfs/local_fs.h"

namespace walnut {

// LocalFs on the POSIX calls of Linux (open, pread, pwrite, fsync, rename, statvfs, ...). Retries
// EINTR and short reads and writes. Stateless, so thread-safe.
class PosixLocalFs : public LocalFs {
 public:
  int OpenDescriptor(const std::string& path, int flags, uint32_t mode, int& fd) override;
  int Read(LocalFile& file, ByteSpan dst, size_t& n) override;
  int ReadAt(LocalFile& file, ByteSpan dst, uint64_t offset, size_t& n) override;
  int WriteAt(LocalFile& file, ConstByteSpan src, uint64_t offset) override;
  int CopyRange(LocalFile& from, uint64_t from_offset, LocalFile& to, uint64_t to_offset,
                size_t length, size_t& copied) override;
  int Truncate(LocalFile& file, uint64_t size) override;
  int Sync(LocalFile& file) override;
  int StatFile(LocalFile& file, FileStat& stat) override;
  int Close(LocalFile& file) override;

  int Stat(const std::string& path, FileStat& stat, bool follow_links) override;
  int ListDirectory(const std::string& path, std::vector<DirectoryEntry>& entries) override;
  int MakeDirectory(const std::string& path, uint32_t mode) override;
  int Rename(const std::string& from, const std::string& to) override;
  int Unlink(const std::string& path) override;
  int RemoveDirectory(const std::string& path) override;
  int Symlink(const std::string& target, const std::string& path) override;
  int ReadLink(const std::string& path, std::string& target) override;
  int SetMode(const std::string& path, uint32_t mode) override;
  int SetOwner(const std::string& path, uint32_t uid, uint32_t gid) override;
  int SetMtime(const std::string& path, int64_t seconds) override;
  int SyncDirectory(const std::string& path) override;
  int FreeSpace(const std::string& path, uint64_t& bytes) override;
};

}  // namespace walnut
