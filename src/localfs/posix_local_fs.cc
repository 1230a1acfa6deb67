#include "localfs/posix_local_fs.h"

#include <cerrno>
#include <memory>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace walnut {
namespace {

// Runs a call that returns -1 with errno on failure, again after EINTR; returns 0 or the errno.
template <class Call>
int Retry(Call call) {
  while (call() != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

FileType TypeOfMode(mode_t mode) {
  if (S_ISREG(mode)) return FileType::kRegular;
  if (S_ISDIR(mode)) return FileType::kDirectory;
  if (S_ISLNK(mode)) return FileType::kSymlink;
  return FileType::kOther;
}

FileType TypeOfDirent(unsigned char type) {
  switch (type) {
    case DT_REG:
      return FileType::kRegular;
    case DT_DIR:
      return FileType::kDirectory;
    case DT_LNK:
      return FileType::kSymlink;
    case DT_UNKNOWN:
      return FileType::kUnknown;
    default:
      return FileType::kOther;
  }
}

void FillStat(const struct stat& st, FileStat& stat) {
  stat.type = TypeOfMode(st.st_mode);
  stat.mode = st.st_mode & 07777;
  stat.size = static_cast<uint64_t>(st.st_size);
  auto since_epoch =
      std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
  stat.mtime = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
  stat.uid = st.st_uid;
  stat.gid = st.st_gid;
}

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

}  // namespace

int PosixLocalFs::OpenDescriptor(const std::string& path, int flags, uint32_t mode, int& fd) {
  return Retry([&] {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, static_cast<mode_t>(mode));
    return fd < 0 ? -1 : 0;
  });
}

namespace {

// Fills `dst` by calls of read_some(offset into dst, bytes wanted) until it is full or the file
// ends; retries EINTR. Returns 0 or the errno, with `n` the bytes read either way.
template <class ReadSome>
int ReadFully(ByteSpan dst, size_t& n, ReadSome read_some) {
  n = 0;
  while (n < dst.size()) {
    ssize_t got = read_some(n, dst.size() - n);
    if (got < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (got == 0) break;  // the end of the file
    n += static_cast<size_t>(got);
  }
  return 0;
}

}  // namespace

int PosixLocalFs::Read(LocalFile& file, ByteSpan dst, size_t& n) {
  return ReadFully(
      dst, n, [&](size_t done, size_t want) { return ::read(file.fd(), dst.data() + done, want); });
}

int PosixLocalFs::ReadAt(LocalFile& file, ByteSpan dst, uint64_t offset, size_t& n) {
  return ReadFully(dst, n, [&](size_t done, size_t want) {
    return ::pread(file.fd(), dst.data() + done, want, static_cast<off_t>(offset + done));
  });
}

int PosixLocalFs::WriteAt(LocalFile& file, ConstByteSpan src, uint64_t offset) {
  while (!src.empty()) {
    ssize_t n = ::pwrite(file.fd(), src.data(), src.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    src = src.subspan(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return 0;
}

int PosixLocalFs::CopyRange(LocalFile& from, uint64_t from_offset, LocalFile& to,
                            uint64_t to_offset, size_t length, size_t& copied) {
  auto in = static_cast<loff_t>(from_offset);
  auto out = static_cast<loff_t>(to_offset);
  return Retry([&] {
    ssize_t n = ::copy_file_range(from.fd(), &in, to.fd(), &out, length, 0);
    copied = n < 0 ? 0 : static_cast<size_t>(n);
    return n < 0 ? -1 : 0;
  });
}

int PosixLocalFs::Truncate(LocalFile& file, uint64_t size) {
  return Retry([&] { return ::ftruncate(file.fd(), static_cast<off_t>(size)); });
}

int PosixLocalFs::Sync(LocalFile& file) {
  return Retry([&] { return ::fsync(file.fd()); });
}

int PosixLocalFs::StatFile(LocalFile& file, FileStat& stat) {
  struct stat st {};
  if (::fstat(file.fd(), &st) != 0) return errno;
  FillStat(st, stat);
  return 0;
}

int PosixLocalFs::Close(LocalFile& file) {
  int fd = file.Release();
  if (fd < 0) return 0;
  // Not retried after EINTR: Linux has released the descriptor already.
  return ::close(fd) == 0 ? 0 : errno;
}

int PosixLocalFs::Stat(const std::string& path, FileStat& stat, bool follow_links) {
  struct stat st {};
  int rc = follow_links ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
  if (rc != 0) return errno;
  FillStat(st, stat);
  return 0;
}

int PosixLocalFs::ListDirectory(const std::string& path, std::vector<DirectoryEntry>& entries) {
  entries.clear();
  std::unique_ptr<DIR, DirCloser> dir(::opendir(path.c_str()));
  if (!dir) return errno;
  while (true) {
    errno = 0;
    const dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) return errno;  // 0 at the end
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    entries.push_back(DirectoryEntry{std::string(name), TypeOfDirent(entry->d_type)});
  }
}

int PosixLocalFs::MakeDirectory(const std::string& path, uint32_t mode) {
  return ::mkdir(path.c_str(), static_cast<mode_t>(mode)) == 0 ? 0 : errno;
}

int PosixLocalFs::Rename(const std::string& from, const std::string& to) {
  return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
}

int PosixLocalFs::Unlink(const std::string& path) {
  return ::unlink(path.c_str()) == 0 ? 0 : errno;
}

int PosixLocalFs::RemoveDirectory(const std::string& path) {
  return ::rmdir(path.c_str()) == 0 ? 0 : errno;
}

int PosixLocalFs::Symlink(const std::string& target, const std::string& path) {
  return ::symlink(target.c_str(), path.c_str()) == 0 ? 0 : errno;
}

int PosixLocalFs::ReadLink(const std::string& path, std::string& target) {
  // Grows the buffer until the target fits (readlink truncates silently).
  for (size_t size = 256;; size *= 2) {
    target.resize(size);
    ssize_t n = ::readlink(path.c_str(), target.data(), size);
    if (n < 0) return errno;
    if (static_cast<size_t>(n) < size) {
      target.resize(static_cast<size_t>(n));
      return 0;
    }
  }
}

int PosixLocalFs::SetMode(const std::string& path, uint32_t mode) {
  return ::chmod(path.c_str(), static_cast<mode_t>(mode)) == 0 ? 0 : errno;
}

int PosixLocalFs::SetOwner(const std::string& path, uint32_t uid, uint32_t gid) {
  return ::lchown(path.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) == 0 ? 0 : errno;
}

int PosixLocalFs::SetMtime(const std::string& path, int64_t seconds) {
  struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
  return ::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0 ? 0 : errno;
}

int PosixLocalFs::SyncDirectory(const std::string& path) {
  int fd = -1;
  if (int err = OpenDescriptor(path, O_RDONLY | O_DIRECTORY, 0, fd)) return err;
  int err = Retry([&] { return ::fsync(fd); });
  int close_err = ::close(fd) == 0 ? 0 : errno;
  return err != 0 ? err : close_err;
}

int PosixLocalFs::FreeSpace(const std::string& path, uint64_t& bytes) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return errno;
  bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  return 0;
}

}  // namespace walnut
