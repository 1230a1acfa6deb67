#pragma once

#include "localfs/local_fs.h"

namespace walnut {

// Forwards every call to a base LocalFs, as LevelDB's EnvWrapper: a test derives from it and
// overrides only the calls it changes (tests/support/faulty_local_fs.h). Files opened through the
// wrapper come back to it for every operation. Thread-safe when the base is.
class ForwardingLocalFs : public LocalFs {
 public:
  // REQUIRES: `base` outlives this wrapper.
  explicit ForwardingLocalFs(LocalFs& base) : base_(base) {}

  LocalFs& base() const { return base_; }

  int OpenDescriptor(const std::string& path, int flags, uint32_t mode, int& fd) override {
    return base_.OpenDescriptor(path, flags, mode, fd);
  }
  int Read(LocalFile& file, ByteSpan dst, size_t& n) override { return base_.Read(file, dst, n); }
  int ReadAt(LocalFile& file, ByteSpan dst, uint64_t offset, size_t& n) override {
    return base_.ReadAt(file, dst, offset, n);
  }
  int WriteAt(LocalFile& file, ConstByteSpan src, uint64_t offset) override {
    return base_.WriteAt(file, src, offset);
  }
  int CopyRange(LocalFile& from, uint64_t from_offset, LocalFile& to, uint64_t to_offset,
                size_t length, size_t& copied) override {
    return base_.CopyRange(from, from_offset, to, to_offset, length, copied);
  }
  int Truncate(LocalFile& file, uint64_t size) override { return base_.Truncate(file, size); }
  int Sync(LocalFile& file) override { return base_.Sync(file); }
  int StatFile(LocalFile& file, FileStat& stat) override { return base_.StatFile(file, stat); }
  int Close(LocalFile& file) override { return base_.Close(file); }

  int Stat(const std::string& path, FileStat& stat, bool follow_links) override {
    return base_.Stat(path, stat, follow_links);
  }
  int ListDirectory(const std::string& path, std::vector<DirectoryEntry>& entries) override {
    return base_.ListDirectory(path, entries);
  }
  int MakeDirectory(const std::string& path, uint32_t mode) override {
    return base_.MakeDirectory(path, mode);
  }
  int Rename(const std::string& from, const std::string& to) override {
    return base_.Rename(from, to);
  }
  int Unlink(const std::string& path) override { return base_.Unlink(path); }
  int RemoveDirectory(const std::string& path) override { return base_.RemoveDirectory(path); }
  int Symlink(const std::string& target, const std::string& path) override {
    return base_.Symlink(target, path);
  }
  int ReadLink(const std::string& path, std::string& target) override {
    return base_.ReadLink(path, target);
  }
  int SetMode(const std::string& path, uint32_t mode) override { return base_.SetMode(path, mode); }
  int SetOwner(const std::string& path, uint32_t uid, uint32_t gid) override {
    return base_.SetOwner(path, uid, gid);
  }
  int SetMtime(const std::string& path, int64_t seconds) override {
    return base_.SetMtime(path, seconds);
  }
  int SyncDirectory(const std::string& path) override { return base_.SyncDirectory(path); }
  int FreeSpace(const std::string& path, uint64_t& bytes) override {
    return base_.FreeSpace(path, bytes);
  }

 private:
  LocalFs& base_;
};

}  // namespace walnut
