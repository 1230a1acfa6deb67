#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backup/delta/increment_format.h"
#include "io/reader.h"
#include "localfs/local_fs.h"

namespace walnut {

// Streams WAL-G's increment of an open relation file: the header, then the pages `header.blocks`
// names, read with pread in runs of neighbouring blocks. A page the file no longer has (it shrank
// since it was scanned) reads as zeros, as a full backup zero-fills a file that shrank: WAL replay
// repeats the truncation. Does not own `file`. Not thread-safe.
class IncrementReader : public Reader {
 public:
  IncrementReader(LocalFile& file, const IncrementHeader& header);

  size_t Read(ByteSpan dst) override;

 private:
  // Reads the next run of consecutive blocks (at most the buffer) into pages_.
  void FillPages();

  LocalFile& file_;
  const IncrementHeader& header_;
  std::vector<std::byte> encoded_header_;
  size_t header_offset_ = 0;
  size_t next_block_ = 0;  // index into header_.blocks of the next page to read
  std::vector<std::byte> pages_;
  size_t pages_offset_ = 0;
};

}  // namespace walnut
