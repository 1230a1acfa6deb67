#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "io/reader.h"
#include "localfs/local_fs.h"

namespace walnut {

// Streams an open local file from `offset` to `end` (or to its end) straight into the caller's
// buffer: memory stays bounded by that buffer whatever the file size. Not thread-safe.
class LocalFileReader : public Reader {
 public:
  // With `end`, a file that ends before it throws kIo naming the file (someone truncated it while
  // it was read). REQUIRES: offset <= *end.
  explicit LocalFileReader(LocalFile file, uint64_t offset = 0,
                           std::optional<uint64_t> end = std::nullopt);

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

}  // namespace walnut
