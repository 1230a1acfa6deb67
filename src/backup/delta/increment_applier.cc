#include "backup/delta/increment_applier.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "postgres/page_checksum.h"

namespace walnut {
namespace {

using Page = std::array<std::byte, pg::kBlockSize>;

// Writes `data` at `offset`; errors name `context` (the backup, tar and file) and the path.
void WriteAt(LocalFile& file, ConstByteSpan data, uint64_t offset, std::string_view context) {
  if (int err = file.fs().WriteAt(file, data, offset)) {
    ThrowSystemError(fmt::format("{}: cannot write at offset {} of", context, offset), file.path(),
                     err);
  }
}

void Resize(LocalFile& file, uint64_t size, std::string_view context) {
  if (int err = file.fs().Truncate(file, size)) {
    ThrowSystemError(fmt::format("{}: cannot resize to {} bytes", context, size), file.path(), err);
  }
}

// Reads exactly dst.size() bytes (a page, or a chunk of pages).
void ReadPage(Reader& in, ByteSpan page, std::string_view context) {
  if (ReadFull(in, page) != page.size()) {
    throw Error(ErrorCode::kCorruption, fmt::format("{}: the stored content ends early", context));
  }
}

// Writes pages given in ascending block order, one pwrite per run of consecutive blocks (up to
// kRunPages): a page per system call would cost more. Pages are read straight into the run.
class PageRunWriter {
 public:
  static constexpr size_t kRunPages = 64;

  PageRunWriter(LocalFile& file, std::string_view context)
      : file_(file), context_(context), run_(kRunPages * pg::kBlockSize) {}

  // Where to read the page for `block`; it counts once Commit() is called.
  ByteSpan Reserve(uint64_t block) {
    if (bytes_ > 0 && (block != first_ + pages_ || pages_ == kRunPages)) Flush();
    if (bytes_ == 0) first_ = block;
    return ByteSpan(run_.data() + bytes_, pg::kBlockSize);
  }
  void Commit() {
    bytes_ += pg::kBlockSize;
    ++pages_;
  }

  void Flush() {
    if (bytes_ == 0) return;
    WriteAt(file_, ConstByteSpan(run_.data(), bytes_), first_ * pg::kBlockSize, context_);
    bytes_ = 0;
    pages_ = 0;
  }

 private:
  LocalFile& file_;
  std::string_view context_;
  std::vector<std::byte> run_;
  uint64_t first_ = 0;
  size_t pages_ = 0;
  size_t bytes_ = 0;
};

}  // namespace

void PageMask::Start(uint64_t pages) {
  started_ = true;
  limit_ = pages;
  words_.assign((pages + 63) / 64, 0);
}

void PageMask::Mark(uint64_t block) {
  if (block < limit_) words_[block / 64] |= uint64_t{1} << (block % 64);
}

IncrementHeader ApplyIncrement(Reader& in, uint64_t stored_size, LocalFile& file,
                               std::string_view context, PageMask* mask) {
  // Everything that can be checked without the pages is checked before the file changes.
  IncrementHeader header = ReadIncrementHeader(in, stored_size, context);
  uint64_t pages = header.file_size / pg::kBlockSize;
  if (mask == nullptr || !mask->started()) {
    Resize(file, header.file_size, context);
    if (mask != nullptr) mask->Start(pages);
  }
  Page unwanted;  // where the pages a newer piece already wrote are read and dropped
  PageRunWriter writer(file, context);
  for (uint32_t block : header.blocks) {
    if (mask != nullptr && !mask->Wants(block)) {
      ReadPage(in, unwanted, context);
      continue;
    }
    ReadPage(in, writer.Reserve(block), context);
    writer.Commit();
    if (mask != nullptr) mask->Mark(block);
  }
  writer.Flush();
  if (mask != nullptr) mask->Cut(pages);
  return header;
}

void ApplyWholeToMask(Reader& in, uint64_t size, LocalFile& file, std::string_view context,
                      PageMask& mask) {
  if (!mask.started()) {
    throw Error(ErrorCode::kInternal,
                fmt::format("{}: a whole copy applied before the file's newest piece", context));
  }
  // Read in chunks of pages; write each run of wanted pages straight from the chunk.
  constexpr size_t kChunkPages = 64;
  std::vector<std::byte> chunk(kChunkPages * pg::kBlockSize);
  for (uint64_t offset = 0; offset < size;) {
    size_t length = static_cast<size_t>(std::min<uint64_t>(chunk.size(), size - offset));
    ReadPage(in, ByteSpan(chunk.data(), length), context);
    uint64_t first = offset / pg::kBlockSize;
    size_t pages = (length + pg::kBlockSize - 1) / pg::kBlockSize;
    size_t run = 0;  // wanted pages ending at page i of the chunk
    for (size_t i = 0; i <= pages; ++i) {
      if (i < pages && mask.Wants(first + i)) {
        mask.Mark(first + i);
        ++run;
        continue;
      }
      if (run > 0) {
        size_t begin = (i - run) * pg::kBlockSize;
        size_t end = std::min(i * pg::kBlockSize, length);
        WriteAt(file, ConstByteSpan(chunk.data() + begin, end - begin), offset + begin, context);
        run = 0;
      }
    }
    offset += length;
  }
  mask.Cut((size + pg::kBlockSize - 1) / pg::kBlockSize);
}

}  // namespace walnut
