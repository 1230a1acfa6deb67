#include "backup/delta/increment_applier.h"

#include <array>
#include <cerrno>

#include <fmt/format.h>
#include <unistd.h>

#include "common/error.h"
#include "postgres/page_checksum.h"

namespace walnut {
namespace {

using Page = std::array<std::byte, pg::kBlockSize>;

void WriteAt(int fd, ConstByteSpan data, uint64_t offset, std::string_view context) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowSystemError(fmt::format("{}: cannot write at offset {}", context, offset));
    }
    data = data.subspan(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
}

void Resize(int fd, uint64_t size, std::string_view context) {
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    ThrowSystemError(fmt::format("{}: cannot resize the file to {} bytes", context, size));
  }
}

void ReadPage(Reader& in, ByteSpan page, std::string_view context) {
  if (ReadFull(in, page) != page.size()) {
    throw Error(ErrorCode::kCorruption,
                fmt::format("{}: the increment ends inside a page", context));
  }
}

}  // namespace

void PageMask::Start(uint64_t pages) {
  started_ = true;
  limit_ = pages;
  words_.assign((pages + 63) / 64, 0);
}

void PageMask::Mark(uint64_t block) {
  if (block < limit_) words_[block / 64] |= uint64_t{1} << (block % 64);
}

IncrementHeader ApplyIncrement(Reader& in, uint64_t stored_size, int fd, std::string_view context,
                               PageMask* mask) {
  // Everything that can be checked without the pages is checked before the file changes.
  IncrementHeader header = ReadIncrementHeader(in, stored_size, context);
  uint64_t pages = header.file_size / pg::kBlockSize;
  if (mask == nullptr || !mask->started()) {
    Resize(fd, header.file_size, context);
    if (mask != nullptr) mask->Start(pages);
  }
  Page page;
  for (uint32_t block : header.blocks) {
    ReadPage(in, page, context);
    if (mask != nullptr && !mask->Wants(block)) continue;
    WriteAt(fd, page, uint64_t{block} * pg::kBlockSize, context);
    if (mask != nullptr) mask->Mark(block);
  }
  if (mask != nullptr) mask->Cut(pages);
  return header;
}

void ApplyWholeToMask(Reader& in, uint64_t size, int fd, std::string_view context, PageMask& mask) {
  if (!mask.started()) {
    throw Error(ErrorCode::kInternal,
                fmt::format("{}: a whole copy applied before the file's newest piece", context));
  }
  Page page;
  for (uint64_t block = 0; block * pg::kBlockSize < size; ++block) {
    size_t length =
        static_cast<size_t>(std::min<uint64_t>(pg::kBlockSize, size - block * pg::kBlockSize));
    ByteSpan piece(page.data(), length);
    ReadPage(in, piece, context);
    if (!mask.Wants(block)) continue;
    WriteAt(fd, piece, block * pg::kBlockSize, context);
    mask.Mark(block);
  }
  mask.Cut((size + pg::kBlockSize - 1) / pg::kBlockSize);
}

}  // namespace walnut
