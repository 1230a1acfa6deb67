#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "backup/delta/increment_format.h"
#include "io/reader.h"
#include "localfs/local_fs.h"

namespace walnut {

// The pages of one file that a newest-first (reverse) chain restore has written so far, and how
// far older pieces may still write: a page belongs to the newest piece that holds it, and an
// older piece never writes past a size some newer piece truncated the file to (the pages there
// were dropped and, if the file grew again, are zeros or come from a newer increment).
// Written pages are tracked in a bitmap, never guessed from zero pages: a page of zeros in a
// newer backup must not be refilled from an older one. Memory: one bit per page of the file.
class PageMask {
 public:
  bool started() const { return started_; }
  // The newest piece: the file's final size in pages.
  void Start(uint64_t pages);
  // Whether an older piece may still write page `block`.
  bool Wants(uint64_t block) const { return block < limit_ && !Written(block); }
  void Mark(uint64_t block);
  // A piece (from newest to oldest) describes the file as `pages` long: older pieces stop there.
  void Cut(uint64_t pages) { limit_ = pages < limit_ ? pages : limit_; }
  uint64_t limit() const { return limit_; }

 private:
  bool Written(uint64_t block) const { return (words_[block / 64] >> (block % 64)) & 1U; }

  bool started_ = false;
  uint64_t limit_ = 0;
  std::vector<uint64_t> words_;
};

// Applies the increment read from `in` (a tar entry of `stored_size` bytes) to the open `file`.
// The header is read and validated completely (ReadIncrementHeader) before the file is touched.
// Without a mask (oldest-first restore) the file is truncated or extended to the header's size and
// every page is written. With a mask (newest-first restore): the first piece sizes the file and
// starts the mask; every piece writes only the pages the mask still wants. `context` names the
// file, tar and backup in errors ("backup X: file base/1/2 from tar T"). Returns the header.
IncrementHeader ApplyIncrement(Reader& in, uint64_t stored_size, LocalFile& file,
                               std::string_view context, PageMask* mask);

// Newest-first restore: writes, from a whole copy of a file read from `in` (`size` bytes), only
// the pages `mask` still wants, then cuts the mask at that size.
void ApplyWholeToMask(Reader& in, uint64_t size, LocalFile& file, std::string_view context,
                      PageMask& mask);

}  // namespace walnut
