#pragma once

#include <cerrno>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "localfs/forwarding_local_fs.h"

namespace walnut::testing {

// The calls FaultyLocalFs counts and can fail: one per LocalFs method.
enum class FsOp {
  kOpen,
  kRead,
  kReadAt,
  kWriteAt,
  kCopyRange,
  kTruncate,
  kSync,
  kStatFile,
  kClose,
  kStat,
  kListDirectory,
  kMakeDirectory,
  kRename,
  kUnlink,
  kRemoveDirectory,
  kSymlink,
  kReadLink,
  kSetMode,
  kSetMtime,
  kSyncDirectory,
  kFreeSpace,
};

// A LocalFs that injects failures into the real file system below it, after LevelDB's
// FaultInjectionTestEnv, so that tests can check what each failure leaves on disk:
// - FailCall: the Nth call of a kind fails with an errno (ENOSPC, EIO, ...) without reaching the
//   disk;
// - ShortWrite: the Nth write stores only a prefix of its bytes, then fails (a disk filling up);
// - CrashAt: the process "dies" at the Nth call of a kind: that call and every later one do
//   nothing and fail with EIO (descriptors are still released), so cleanup code cannot tidy up
//   either; the test then inspects the disk as a restarted process would find it;
// - LimitSpace: a file system with that much room: FreeSpace() reports what is left, and writes
//   beyond it store what fits and fail with ENOSPC.
// Faults count only the calls whose path contains `path_part` ("" for all; a rename matches by
// either name, a copy by its destination), from the call after the fault was set up (nth = 1 is
// the next matching call). Thread-safe: calls are serialised.
class FaultyLocalFs : public ForwardingLocalFs {
 public:
  explicit FaultyLocalFs(LocalFs& base = LocalFs::Default()) : ForwardingLocalFs(base) {}

  void FailCall(FsOp op, uint64_t nth, int err, uint64_t times = 1, std::string path_part = "");
  // The write keeps min(keep, its size) bytes, then fails with `err`.
  void ShortWrite(uint64_t nth, size_t keep, int err = ENOSPC, std::string path_part = "");
  void CrashAt(FsOp op, uint64_t nth, std::string path_part = "");
  void LimitSpace(uint64_t free_bytes);
  // Drops all faults and the space limit, and "restarts" after a crash; counters keep running.
  void Reset();

  bool crashed() const;
  // Calls of `op` since construction, failed ones included.
  uint64_t calls(FsOp op) const;
  // Space left under LimitSpace.
  uint64_t free_space() const;

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
  int SetMtime(const std::string& path, int64_t seconds) override;
  int SyncDirectory(const std::string& path) override;
  int FreeSpace(const std::string& path, uint64_t& bytes) override;

 private:
  enum class Action { kFail, kShortWrite, kCrash };
  struct Fault {
    FsOp op;
    std::string path_part;
    uint64_t first;  // matching calls first .. last (1-based, counted by `seen`) are hit
    uint64_t last;
    Action action;
    int err = EIO;
    size_t keep = 0;
    uint64_t seen = 0;
  };
  // What to do with one call: nothing (forward it), fail with `err`, or shorten a write.
  struct Hit {
    int err = 0;
    std::optional<size_t> keep;
  };

  // Counts the call and decides its fate; after a crash every call fails.
  Hit Count(FsOp op, const std::string& path, const std::string& other_path = "") REQUIRES(mu_);
  // The size of a file by path, 0 when it has none.
  uint64_t SizeOf(const std::string& path) REQUIRES(mu_);

  mutable Mutex mu_;
  std::map<FsOp, uint64_t> calls_ GUARDED_BY(mu_);
  std::vector<Fault> faults_ GUARDED_BY(mu_);
  bool crashed_ GUARDED_BY(mu_) = false;
  std::optional<uint64_t> free_ GUARDED_BY(mu_);  // set by LimitSpace
};

}  // namespace walnut::testing
