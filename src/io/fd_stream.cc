#include "io/fd_stream.h"

#include <fmt/format.h>
#include <unistd.h>

#include "common/error.h"

namespace walnut {

size_t FdReader::Read(ByteSpan dst) {
  while (true) {
    ssize_t n = ::read(fd_, dst.data(), dst.size());
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) ThrowSystemError("cannot read", name_);
  }
}

void FdWriter::Write(ConstByteSpan src) {
  while (!src.empty()) {
    ssize_t n = ::write(fd_, src.data(), src.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowSystemError("cannot write", name_);
    }
    src = src.subspan(static_cast<size_t>(n));
  }
}

}  // namespace walnut
