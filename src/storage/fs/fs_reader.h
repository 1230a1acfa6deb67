#pragma once

#include <cstdint>
#include <string>

#include "io/reader.h"
#include "storage/fs/unique_fd.h"

namespace walnut {

// Streams the byte range [offset, end) of an open file with pread(), straight into the caller's
// buffer: memory stays bounded by that buffer whatever the file size. Not thread-safe.
class FsReader : public Reader {
 public:
  // REQUIRES: offset <= end, and end <= the file's size when it was opened.
  FsReader(UniqueFd fd, std::string path, uint64_t offset, uint64_t end);

  // Throws kIo naming the file on a read error, or when the file shrank under us.
  size_t Read(ByteSpan dst) override;

 private:
  UniqueFd fd_;
  std::string path_;
  uint64_t pos_;
  uint64_t end_;
};

}  // namespace walnut
