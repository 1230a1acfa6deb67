#include "io/fd_stream.h"

#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include "common/error.h"

namespace walnut {

void FdReader::WaitForInput() {
  // A signal handler cannot interrupt a read() blocked in another thread than the one it runs
  // on, so the wait is sliced and the flag checked between slices.
  constexpr int kSliceMs = 100;
  while (true) {
    if (stop_->load()) {
      throw Error(ErrorCode::kCancelled, fmt::format("reading {} was interrupted", name_));
    }
    pollfd pfd{.fd = fd_, .events = POLLIN, .revents = 0};
    int ready = ::poll(&pfd, 1, kSliceMs);
    if (ready > 0) return;  // data, end of input or an error: read() tells which
    if (ready < 0 && errno != EINTR) ThrowSystemError("cannot read", name_);
  }
}

size_t FdReader::Read(ByteSpan dst) {
  if (stop_) WaitForInput();
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
