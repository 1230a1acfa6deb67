#include "wal/free_space_guard.h"

#include <fmt/format.h>

#include "common/error.h"
#include "localfs/paths.h"

namespace walnut::wal {

FreeSpaceGuard::FreeSpaceGuard(std::unique_ptr<Writer> file, LocalFs& fs, std::string path,
                               uint64_t reserve)
    : file_(std::move(file)),
      fs_(fs),
      path_(std::move(path)),
      dir_(DirName(path_)),
      reserve_(reserve) {}

void FreeSpaceGuard::Write(ConstByteSpan src) {
  uint64_t free = 0;
  if (!HasRoomFor(fs_, dir_, src.size(), reserve_, &free)) {
    file_->Abort();
    throw Error(ErrorCode::kIo,
                fmt::format("stopped writing {}: {} MiB are free on {}, and {} MiB are kept "
                            "free for wal-fetch",
                            path_, free >> 20, dir_, reserve_ >> 20));
  }
  file_->Write(src);
}

bool HasRoomFor(LocalFs& fs, const std::string& dir, uint64_t bytes, uint64_t reserve,
                uint64_t* free) {
  uint64_t available = 0;
  if (fs.FreeSpace(dir, available) != 0) return true;
  if (free != nullptr) *free = available;
  return available >= reserve && available - reserve >= bytes;
}

}  // namespace walnut::wal
