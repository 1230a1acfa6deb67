#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace walnut {

class LocalFs;

enum class FileType { kRegular, kDirectory, kSymlink, kOther, kUnknown };

// What stat() tells of a file.
struct FileStat {
  FileType type = FileType::kUnknown;
  uint32_t mode = 0;  // permission bits (07777)
  uint64_t size = 0;
  std::chrono::system_clock::time_point mtime{};  // with nanoseconds
  uint32_t uid = 0;
  uint32_t gid = 0;
};

// One entry of a directory listing ("." and ".." left out), unsorted.
struct DirectoryEntry {
  std::string name;
  FileType type = FileType::kUnknown;  // kUnknown when the file system does not say: Stat() it
};

// An open local file, opened through a LocalFs; every operation on it goes through that LocalFs.
// The methods throw Error naming the file (SystemError: "cannot write /x: no space left on
// device; ..."). Read() reads on from the descriptor's offset (pipes too); Write() writes at a
// position of its own, starting at 0; ReadAt() and WriteAt() work at the offset given. The
// destructor closes the file without checking (a file written must be Close()d: a failing close can
// mean lost data). Movable, not copyable; one thread at a time.
class LocalFile {
 public:
  LocalFile() = default;
  // For LocalFs::Open(): `fd` is the open descriptor, `path` names the file in messages.
  LocalFile(LocalFs& fs, int fd, std::string path);
  ~LocalFile();
  LocalFile(LocalFile&& other) noexcept;
  LocalFile& operator=(LocalFile&& other) noexcept;
  LocalFile(const LocalFile&) = delete;
  LocalFile& operator=(const LocalFile&) = delete;

  bool is_open() const { return fd_ >= 0; }
  // The LocalFs it was opened through: for calls whose errno the caller wants to see.
  LocalFs& fs() const { return *fs_; }
  const std::string& path() const { return path_; }
  // The descriptor: for LocalFs implementations, and for calls the seam does not make (extended
  // attributes in storage/fs, read-ahead hints). Never to read or write around the seam.
  int fd() const { return fd_; }
  // For LocalFs::Close(): gives up the descriptor without closing it.
  int Release();

  // Reads on from where the last Read() stopped (any file, pipes too); fewer bytes than asked
  // only at the end of the file.
  size_t Read(ByteSpan dst);
  // Reads at `offset`; fewer bytes than asked only at the end of the file.
  size_t ReadAt(ByteSpan dst, uint64_t offset);
  // Writes all of `src` at the position and advances it.
  void Write(ConstByteSpan src);
  void WriteAt(ConstByteSpan src, uint64_t offset);
  void Truncate(uint64_t size);
  void Sync();
  FileStat Stat();
  // Closes now, throwing if close() fails. Nothing happens when the file is not open.
  void Close();

  uint64_t position() const { return position_; }
  void set_position(uint64_t position) { position_ = position; }

 private:
  LocalFs* fs_ = nullptr;
  int fd_ = -1;
  std::string path_;
  uint64_t position_ = 0;
};

// The seam between Walnut and the local file system, after LevelDB's Env: wal/, backup/ and cli/
// read, write, sync, rename, create and remove local files only through it, so that a test can
// put a ForwardingLocalFs in between and fail any call (tests/support/faulty_local_fs.h). Each
// call is one system call or a loop of them (short writes, EINTR): nothing is cached or copied.
//
// The virtual methods return 0 or the errno of the failing call and never throw (beyond
// std::bad_alloc), because callers often expect a failure (a file that is absent, a directory
// that exists already); SystemError() in common/error.h turns an errno into the Error to throw.
// Paths are used as given (relative ones against the working directory).
// Implementations are thread-safe.
class LocalFs {
 public:
  // The process-wide POSIX implementation (PosixLocalFs), for the CLI. Library code takes a
  // LocalFs& from its caller instead.
  static LocalFs& Default();

  virtual ~LocalFs() = default;

  // Opens `path` with open(2) `flags` (O_CLOEXEC is always added) and `mode` for O_CREAT. On
  // success `file` holds it, and its operations go through this LocalFs.
  int Open(const std::string& path, int flags, uint32_t mode, LocalFile& file);

  // --- Open files. `file` was opened by Open() of this LocalFs (or of a wrapper around it).
  virtual int OpenDescriptor(const std::string& path, int flags, uint32_t mode, int& fd) = 0;
  // Reads up to dst.size() bytes from the descriptor's offset (read(2): FIFOs and devices too);
  // `n` < dst.size() only at the end of the file.
  virtual int Read(LocalFile& file, ByteSpan dst, size_t& n) = 0;
  // Reads up to dst.size() bytes at `offset` into dst; `n` < dst.size() only at the end of file.
  virtual int ReadAt(LocalFile& file, ByteSpan dst, uint64_t offset, size_t& n) = 0;
  // Writes all of `src` at `offset` (a failure may leave part of it written).
  virtual int WriteAt(LocalFile& file, ConstByteSpan src, uint64_t offset) = 0;
  // Copies up to `length` bytes from `from` at `from_offset` to `to` at `to_offset` in the kernel
  // (copy_file_range: no copy through user space, reflinks where the file system has them);
  // `copied` is 0 at the end of `from`. EXDEV, ENOSYS, EINVAL or EOPNOTSUPP: not possible between
  // these files; copy through a buffer instead.
  virtual int CopyRange(LocalFile& from, uint64_t from_offset, LocalFile& to, uint64_t to_offset,
                        size_t length, size_t& copied) = 0;
  virtual int Truncate(LocalFile& file, uint64_t size) = 0;
  virtual int Sync(LocalFile& file) = 0;  // fsync
  virtual int StatFile(LocalFile& file, FileStat& stat) = 0;
  // Closes the descriptor (file.Release()), even when it reports an error.
  virtual int Close(LocalFile& file) = 0;

  // --- Paths.
  // stat(2), or lstat(2) when not `follow_links`.
  virtual int Stat(const std::string& path, FileStat& stat, bool follow_links) = 0;
  virtual int ListDirectory(const std::string& path, std::vector<DirectoryEntry>& entries) = 0;
  virtual int MakeDirectory(const std::string& path, uint32_t mode) = 0;
  virtual int Rename(const std::string& from, const std::string& to) = 0;
  virtual int Unlink(const std::string& path) = 0;
  virtual int RemoveDirectory(const std::string& path) = 0;
  virtual int Symlink(const std::string& target, const std::string& path) = 0;
  virtual int ReadLink(const std::string& path, std::string& target) = 0;
  virtual int SetMode(const std::string& path, uint32_t mode) = 0;
  // lchown(2): the owner of `path` itself, never of what a symlink points to.
  virtual int SetOwner(const std::string& path, uint32_t uid, uint32_t gid) = 0;
  // Sets the modification (and access) time, in whole seconds since the epoch.
  virtual int SetMtime(const std::string& path, int64_t seconds) = 0;
  // fsyncs a directory, so that entries created, renamed or removed in it survive a crash.
  virtual int SyncDirectory(const std::string& path) = 0;
  // The bytes an unprivileged user may still write on the file system holding `path`.
  virtual int FreeSpace(const std::string& path, uint64_t& bytes) = 0;
};

}  // namespace walnut
