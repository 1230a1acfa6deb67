#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backup/delta/increment_format.h"
#include "postgres/page_checksum.h"

namespace walnut::testing {

// Header only: its users link walnut_backup, the support library does not.

// One 8 KiB page filled with `fill`.
inline std::string TestPage(char fill) { return std::string(pg::kBlockSize, fill); }

// A WAL-G increment for a file of `file_pages` pages: header, then one page per block, filled
// with the matching character of `fills`.
inline std::string TestIncrement(uint64_t file_pages, const std::vector<uint32_t>& blocks,
                                 const std::string& fills) {
  IncrementHeader header;
  header.file_size = file_pages * pg::kBlockSize;
  header.blocks = blocks;
  std::vector<std::byte> bytes = EncodeIncrementHeader(header);
  std::string out(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  for (char fill : fills) out += TestPage(fill);
  return out;
}

}  // namespace walnut::testing
