#include "backup/delta/increment_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/error.h"

namespace walnut {
namespace {

// Pages read at once: large enough for runs of neighbouring pages to cost one system call.
constexpr size_t kRunPages = 32;

}  // namespace

IncrementReader::IncrementReader(LocalFile& file, const IncrementHeader& header)
    : file_(file), header_(header), encoded_header_(EncodeIncrementHeader(header)) {}

void IncrementReader::FillPages() {
  size_t first = next_block_;
  size_t count = 1;
  while (count < kRunPages && first + count < header_.blocks.size() &&
         header_.blocks[first + count] == header_.blocks[first] + count) {
    ++count;
  }
  pages_.resize(count * pg::kBlockSize);
  uint64_t offset = uint64_t{header_.blocks[first]} * pg::kBlockSize;
  size_t done = file_.ReadAt(pages_, offset);
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
