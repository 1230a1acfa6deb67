#include "localfs/local_file_reader.h"

#include <algorithm>
#include <cerrno>

#include <fcntl.h>
#include <fmt/format.h>

#include "common/error.h"

namespace walnut {

LocalFileReader::LocalFileReader(LocalFile file) : file_(std::move(file)), pos_(0) {}

LocalFileReader::LocalFileReader(LocalFile file, uint64_t offset, uint64_t end)
    : file_(std::move(file)), pos_(offset), end_(end) {}

size_t LocalFileReader::Read(ByteSpan dst) {
  if (!end_) return file_.Read(dst);
  size_t want = dst.size();
  if (end_) want = static_cast<size_t>(std::min<uint64_t>(want, *end_ - pos_));
  if (want == 0) return 0;
  size_t n = file_.ReadAt(dst.first(want), pos_);
  if (n == 0) {
    throw Error(ErrorCode::kIo,
                fmt::format("file {} ended at byte {} but was expected to reach byte {}; "
                            "something truncated it while it was being read",
                            file_.path(), pos_, *end_));
  }
  pos_ += n;
  return n;
}

std::unique_ptr<LocalFileReader> OpenFileReader(LocalFs& fs, const std::string& path) {
  LocalFile file;
  if (int err = fs.Open(path, O_RDONLY, 0, file)) ThrowSystemError("cannot open", path, err);
  return std::make_unique<LocalFileReader>(std::move(file));
}

namespace {

std::string ReadSmallOpenFile(LocalFile& file, const std::string& path, size_t max_size,
                              std::string_view what) {
  // Read in growing steps: a small file costs a small buffer, whatever `max_size` allows.
  std::string text;
  for (size_t step = 4096; text.size() <= max_size; step *= 2) {
    size_t have = text.size();
    size_t want = std::min(step, max_size + 1 - have);
    text.resize(have + want);
    size_t n = file.Read(ByteSpan(reinterpret_cast<std::byte*>(text.data()) + have, want));
    text.resize(have + n);
    if (n < want) break;
  }
  if (text.size() > max_size) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} {} is larger than {} bytes; it cannot be what Walnut expects "
                            "there",
                            what, path, max_size));
  }
  return text;
}

}  // namespace

std::string ReadSmallFile(LocalFs& fs, const std::string& path, size_t max_size,
                          std::string_view what) {
  LocalFile file;
  if (int err = fs.Open(path, O_RDONLY, 0, file)) {
    ThrowSystemError(fmt::format("cannot open {}", what), path, err);
  }
  return ReadSmallOpenFile(file, path, max_size, what);
}

std::optional<std::string> ReadSmallFileIfPresent(LocalFs& fs, const std::string& path,
                                                  size_t max_size, std::string_view what) {
  LocalFile file;
  if (int err = fs.Open(path, O_RDONLY, 0, file)) {
    if (err == ENOENT) return std::nullopt;
    ThrowSystemError(fmt::format("cannot open {}", what), path, err);
  }
  return ReadSmallOpenFile(file, path, max_size, what);
}

}  // namespace walnut
