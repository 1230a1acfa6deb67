#include "io/fd_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "common/error.h"

namespace walnut {

std::unique_ptr<FdReader> FdReader::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) ThrowSystemError(fmt::format("cannot open {}", path));
  return std::make_unique<FdReader>(fd, path, true);
}

FdReader::FdReader(int fd, std::string name, bool owned)
    : fd_(fd), name_(std::move(name)), owned_(owned) {}

FdReader::~FdReader() {
  if (owned_) ::close(fd_);
}

size_t FdReader::Read(ByteSpan dst) {
  while (true) {
    ssize_t n = ::read(fd_, dst.data(), dst.size());
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) ThrowSystemError(fmt::format("cannot read {}", name_));
  }
}

void FdWriter::Write(ConstByteSpan src) {
  while (!src.empty()) {
    ssize_t n = ::write(fd_, src.data(), src.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowSystemError(fmt::format("cannot write {}", name_));
    }
    src = src.subspan(static_cast<size_t>(n));
  }
}

}  // namespace walnut
