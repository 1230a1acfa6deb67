#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "postgres/lsn.h"
#include "postgres/page_checksum.h"

namespace walnut {

// Checks the page checksums of one relation file as its bytes stream past (in pieces of any
// size), without a second read. A trailing partial page (a file being extended) is not checked.
// Not thread-safe.
class PageVerifier {
 public:
  // `first_block`: the block number of the file's first page; pages whose LSN is at or past
  // `backup_start_lsn` are being written and are not judged.
  PageVerifier(uint32_t first_block, pg::Lsn backup_start_lsn);

  void Update(ConstByteSpan data);

  // Block numbers (within the file, from 0, as WAL-G records them) whose checksum failed.
  const std::vector<uint32_t>& corrupt_blocks() const { return corrupt_; }
  uint64_t corrupt_count() const { return corrupt_count_; }

  // Keep at most this many block numbers (all are counted). Default: all.
  void set_max_recorded(size_t max) { max_recorded_ = max; }

 private:
  void CheckPage(ConstByteSpan page);

  uint32_t first_block_;
  pg::Lsn start_lsn_;
  uint32_t page_index_ = 0;
  std::vector<std::byte> partial_;  // a page split across Update calls
  std::vector<uint32_t> corrupt_;
  uint64_t corrupt_count_ = 0;
  size_t max_recorded_ = SIZE_MAX;
};

}  // namespace walnut
