#include "storage/fs/fs_reader.h"

#include <algorithm>
#include <cerrno>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "common/error.h"
#include "storage/fs/fs_error.h"

namespace walnut {

FsReader::FsReader(UniqueFd fd, std::string path, uint64_t offset, uint64_t end,
                   std::map<std::string, std::string> metadata)
    : fd_(std::move(fd)),
      path_(std::move(path)),
      pos_(offset),
      end_(end),
      metadata_(std::move(metadata)) {
  // Only a hint for read-ahead; failure changes nothing.
  ::posix_fadvise(fd_.get(), static_cast<off_t>(offset), static_cast<off_t>(end - offset),
                  POSIX_FADV_SEQUENTIAL);
}

size_t FsReader::Read(ByteSpan dst) {
  size_t want = static_cast<size_t>(std::min<uint64_t>(dst.size(), end_ - pos_));
  if (want == 0) return 0;
  while (true) {
    ssize_t n = ::pread(fd_.get(), dst.data(), want, static_cast<off_t>(pos_));
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowFsError("cannot read", path_, errno);
    }
    if (n == 0) {
      // Objects are immutable once committed (overwrites replace the inode), so this means
      // someone truncated the file in place.
      throw Error(ErrorCode::kIo,
                  fmt::format("file {} ended at byte {} but was expected to reach byte {}; "
                              "something truncated it while it was being read",
                              path_, pos_, end_));
    }
    pos_ += static_cast<uint64_t>(n);
    return static_cast<size_t>(n);
  }
}

}  // namespace walnut
