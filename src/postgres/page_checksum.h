#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "postgres/lsn.h"

namespace walnut::pg {

// PostgreSQL's default block size; Walnut supports only this one (as WAL-G's WALG_PG_BLOCK_SIZE).
constexpr size_t kBlockSize = 8192;
// Blocks per relation segment file (RELSEG_SIZE: 1 GiB of 8 KiB blocks).
constexpr uint32_t kBlocksPerSegment = 131072;

// PostgreSQL's page checksum (pg_checksum_page in src/include/storage/checksum_impl.h): 32
// parallel FNV-1a-like sums over the page with pd_checksum taken as zero, folded by xor, mixed with
// the block number, reduced to 1..65535. REQUIRES: page.size() == kBlockSize.
uint16_t PageChecksum(ConstByteSpan page, uint32_t block_number);

// The PageHeaderData fields verification needs (little- or big-endian as the host, as PostgreSQL
// writes them: pages are never byte-swapped).
Lsn PageLsn(ConstByteSpan page);
uint16_t PageStoredChecksum(ConstByteSpan page);
uint16_t PageUpper(ConstByteSpan page);

// Whether an initialised page's header is one PostgreSQL could have written (WAL-G's
// postgres_page_header.go test): known flags only, lower <= upper <= special <= page size, lower
// past the header, a non-zero LSN, the 8 KiB page size and a layout version up to 5.
bool PageHeaderIsSane(ConstByteSpan page);

enum class PageCheck {
  kValid,           // the stored checksum matches
  kNew,             // pd_upper == 0 (never initialised, all zeros): PostgreSQL does not check it
  kNewerThanStart,  // LSN past the backup start: being written now, WAL replay restores it
  kCorrupt,         // checksum mismatch
};

// Checks one page as pgBackRest's pageChecksum filter does. REQUIRES: page.size() == kBlockSize.
PageCheck CheckPage(ConstByteSpan page, uint32_t block_number, Lsn backup_start_lsn);

}  // namespace walnut::pg
