#include "backup/delta/increment_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <unistd.h>

#include "common/error.h"

namespace walnut {
namespace {

// Pages read at once: large enough for runs of neighbouring pages to cost one system call.
constexpr size_t kRunPages = 32;

}  // namespace

IncrementReader::IncrementReader(int fd, std::string path, const IncrementHeader& header)
    : fd_(fd),
      path_(std::move(path)),
      header_(header),
      encoded_header_(EncodeIncrementHeader(header)) {}

void IncrementReader::FillPages() {
  size_t first = next_block_;
  size_t count = 1;
  while (count < kRunPages && first + count < header_.blocks.size() &&
         header_.blocks[first + count] == header_.blocks[first] + count) {
    ++count;
  }
  pages_.resize(count * pg::kBlockSize);
  off_t offset = static_cast<off_t>(uint64_t{header_.blocks[first]} * pg::kBlockSize);
  size_t done = 0;
  while (done < pages_.size()) {
    ssize_t n =
        ::pread(fd_, pages_.data() + done, pages_.size() - done, offset + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowSystemError(fmt::format("cannot read {}", path_));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  std::fill(pages_.begin() + static_cast<ptrdiff_t>(done), pages_.end(), std::byte{0});
  pages_offset_ = 0;
  next_block_ += count;
}

size_t IncrementReader::Read(ByteSpan dst) {
  size_t total = 0;
  while (total < dst.size()) {
    if (header_offset_ < encoded_header_.size()) {
      size_t n = std::min(dst.size() - total, encoded_header_.size() - header_offset_);
      std::memcpy(dst.data() + total, encoded_header_.data() + header_offset_, n);
      header_offset_ += n;
      total += n;
      continue;
    }
    if (pages_offset_ == pages_.size()) {
      if (next_block_ == header_.blocks.size()) break;
      FillPages();
    }
    size_t n = std::min(dst.size() - total, pages_.size() - pages_offset_);
    std::memcpy(dst.data() + total, pages_.data() + pages_offset_, n);
    pages_offset_ += n;
    total += n;
  }
  return total;
}

}  // namespace walnut
