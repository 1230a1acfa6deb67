#include "localfs/local_fs.h"

#include <utility>

#include <fmt/format.h>

#include "common/error.h"
#include "localfs/posix_local_fs.h"

namespace walnut {

LocalFs& LocalFs::Default() {
  static PosixLocalFs posix;
  return posix;
}

int LocalFs::Open(const std::string& path, int flags, uint32_t mode, LocalFile& file) {
  int fd = -1;
  if (int err = OpenDescriptor(path, flags, mode, fd)) return err;
  file = LocalFile(*this, fd, path);
  return 0;
}

LocalFile::LocalFile(LocalFs& fs, int fd, std::string path)
    : fs_(&fs), fd_(fd), path_(std::move(path)) {}

LocalFile::~LocalFile() {
  if (is_open()) fs_->Close(*this);
}

LocalFile::LocalFile(LocalFile&& other) noexcept
    : fs_(other.fs_),
      fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      position_(other.position_) {}

LocalFile& LocalFile::operator=(LocalFile&& other) noexcept {
  if (this != &other) {
    if (is_open()) fs_->Close(*this);
    fs_ = other.fs_;
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    position_ = other.position_;
  }
  return *this;
}

int LocalFile::Release() { return std::exchange(fd_, -1); }

size_t LocalFile::Read(ByteSpan dst) {
  size_t n = 0;
  if (int err = fs_->Read(*this, dst, n)) ThrowSystemError("cannot read", path_, err);
  return n;
}

size_t LocalFile::ReadAt(ByteSpan dst, uint64_t offset) {
  size_t n = 0;
  if (int err = fs_->ReadAt(*this, dst, offset, n)) ThrowSystemError("cannot read", path_, err);
  return n;
}

void LocalFile::Write(ConstByteSpan src) {
  WriteAt(src, position_);
  position_ += src.size();
}

void LocalFile::WriteAt(ConstByteSpan src, uint64_t offset) {
  if (int err = fs_->WriteAt(*this, src, offset)) ThrowSystemError("cannot write", path_, err);
}

void LocalFile::Truncate(uint64_t size) {
  if (int err = fs_->Truncate(*this, size)) {
    ThrowSystemError(fmt::format("cannot resize to {} bytes", size), path_, err);
  }
}

void LocalFile::Sync() {
  if (int err = fs_->Sync(*this)) ThrowSystemError("cannot sync", path_, err);
}

FileStat LocalFile::Stat() {
  FileStat stat;
  if (int err = fs_->StatFile(*this, stat)) ThrowSystemError("cannot stat", path_, err);
  return stat;
}

void LocalFile::Close() {
  if (!is_open()) return;
  // A failing close() of a written file can mean that data was lost (NFS, quotas).
  if (int err = fs_->Close(*this)) ThrowSystemError("cannot write", path_, err);
}

}  // namespace walnut
