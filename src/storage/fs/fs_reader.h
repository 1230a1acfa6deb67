#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "storage/fs/unique_fd.h"
#include "storage/storage_reader.h"

namespace walnut {

// Streams the byte range [offset, end) of an open file with pread(), straight into the caller's
// buffer: memory stays bounded by that buffer whatever the file size. Not thread-safe.
class FsReader : public StorageReader {
 public:
  // REQUIRES: offset <= end, and end <= the file's size when it was opened. `metadata`: the
  // file's (ReadFsMetadata).
  FsReader(UniqueFd fd, std::string path, uint64_t offset, uint64_t end,
           std::map<std::string, std::string> metadata = {});

  // Throws kIo naming the file on a read error, or when the file shrank under us.
  size_t Read(ByteSpan dst) override;
  const std::map<std::string, std::string>& metadata() const override { return metadata_; }

 private:
  UniqueFd fd_;
  std::string path_;
  uint64_t pos_;
  uint64_t end_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace walnut
