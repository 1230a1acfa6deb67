#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "io/reader.h"
#include "postgres/page_checksum.h"

namespace walnut {

// WAL-G's increment file (internal/databases/postgres/pagefile.go): what a delta backup stores for
// a relation file that existed in its base. All integers little-endian:
//   'w' 'i' '1' 0x55 | uint64 file size | uint32 N | N x uint32 block numbers | N x 8192-byte pages
// Applying it: truncate or extend the file to `file size`, then write each page at its block.
inline constexpr std::array<std::byte, 4> kIncrementSignature = {std::byte{'w'}, std::byte{'i'},
                                                                 std::byte{'1'}, std::byte{0x55}};
inline constexpr size_t kIncrementFixedHeaderSize = 16;
// The largest file an increment may describe: far above PostgreSQL's 1 GiB relation segments (a
// build may raise RELSEG_SIZE), low enough that a forged header cannot ask for unbounded memory.
inline constexpr uint64_t kIncrementMaxFileSize = uint64_t{64} << 30;

struct IncrementHeader {
  uint64_t file_size = 0;
  std::vector<uint32_t> blocks;  // strictly ascending, each < file_size / 8192

  // Bytes of the header (signature, sizes, block numbers) and of the whole increment.
  uint64_t header_size() const { return kIncrementFixedHeaderSize + 4 * uint64_t{blocks.size()}; }
  uint64_t total_size() const { return header_size() + pg::kBlockSize * uint64_t{blocks.size()}; }
};

// The header's bytes, pages not included.
std::vector<std::byte> EncodeIncrementHeader(const IncrementHeader& header);

// Reads the header of an increment whose whole stored size is `stored_size` (the tar entry's size)
// from `in`, and checks it before anything is applied: the signature and version, that the file
// size is whole pages within kIncrementMaxFileSize, that the block numbers are ascending and
// within the file, and that the stored size is exactly header + pages. Leaves `in` at the first
// page. Throws kCorruption "<context>: <what is wrong>", e.g. context "backup X: file base/5/1259
// from tar part_001.tar.lz4".
IncrementHeader ReadIncrementHeader(Reader& in, uint64_t stored_size, std::string_view context);

}  // namespace walnut
