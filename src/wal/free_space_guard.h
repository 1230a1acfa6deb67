#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "io/writer.h"
#include "localfs/local_fs.h"

namespace walnut::wal {

// Passes writes on to a file writer as long as the file system of `path` keeps at least
// `reserve` bytes free after them; a write that would eat into the reserve aborts the file and
// throws kIo instead. The prefetcher's downloads go through it, so that prefetching never takes
// the space wal-fetch (and PostgreSQL) need. One free-space query per write: callers write in
// large chunks. Not thread-safe.
class FreeSpaceGuard : public Writer {
 public:
  FreeSpaceGuard(std::unique_ptr<Writer> file, LocalFs& fs, std::string path, uint64_t reserve);

  void Write(ConstByteSpan src) override;
  void Close() override { file_->Close(); }
  void Abort() noexcept override { file_->Abort(); }

 private:
  std::unique_ptr<Writer> file_;
  LocalFs& fs_;
  std::string path_;
  std::string dir_;
  uint64_t reserve_;
};

// Whether `bytes` more can be written to the file system of `dir` leaving `reserve` free. A file
// system that cannot tell its free space counts as having room (the writes then fail by
// themselves if it has none).
bool HasRoomFor(LocalFs& fs, const std::string& dir, uint64_t bytes, uint64_t reserve,
                uint64_t* free = nullptr);

}  // namespace walnut::wal
