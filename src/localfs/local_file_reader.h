#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "io/reader.h"
#include "localfs/local_fs.h"

namespace walnut {

// Streams an open local file straight into the caller's buffer: memory stays bounded by that
// buffer whatever the file size. Not thread-safe.
class LocalFileReader : public Reader {
 public:
  // Reads the file from its current offset to its end, as read(2) does: FIFOs and devices too.
  explicit LocalFileReader(LocalFile file);
  // Reads the byte range [offset, end) with pread(2); a file that ends before `end` throws kIo
  // naming the file (someone truncated it while it was read). REQUIRES: offset <= end.
  LocalFileReader(LocalFile file, uint64_t offset, uint64_t end);

  size_t Read(ByteSpan dst) override;

 private:
  LocalFile file_;
  uint64_t pos_;
  std::optional<uint64_t> end_;
};

// Opens `path` for reading. Throws Error naming it (kNotFound when it does not exist).
std::unique_ptr<LocalFileReader> OpenFileReader(LocalFs& fs, const std::string& path);

// Reads a whole small file (a cache, a spec) into a string; throws kInvalidArgument naming the
// file when it is larger than `max_size`, and Error naming it when it cannot be read. `what`
// says what the file is in messages ("cannot open restore spec /x: ...").
std::string ReadSmallFile(LocalFs& fs, const std::string& path, size_t max_size,
                          std::string_view what = "file");
// As ReadSmallFile, but nothing when `path` (or a directory above it) does not exist.
std::optional<std::string> ReadSmallFileIfPresent(LocalFs& fs, const std::string& path,
                                                  size_t max_size, std::string_view what = "file");

}  // namespace walnut
