#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "postgres/lsn.h"
#include "postgres/wal_file_name.h"

namespace walnut::pg {

// The long header that starts every WAL segment (XLogLongPageHeaderData, access/xlog_internal.h):
// what lets Walnut check that a file really is the segment its name says, and which cluster
// wrote it. Stored in the host's byte order, as PostgreSQL writes it.
struct WalLongPageHeader {
  uint16_t magic = 0;  // XLOG_PAGE_MAGIC: one value per major version (PostgreSQL 15: 0xD110)
  uint16_t info = 0;
  TimelineId timeline = 0;
  Lsn page_address = 0;  // the LSN of the segment's first byte
  uint64_t system_identifier = 0;
  uint32_t segment_size = 0;
  uint32_t block_size = 0;
};

// Bytes needed to parse the long header.
constexpr size_t kWalLongPageHeaderSize = 40;

// Parses the first bytes of a segment. nullopt when they are too short, the magic is not one of a
// known PostgreSQL version (9.6 to 17), or the long-header flag is not set.
std::optional<WalLongPageHeader> ParseWalLongPageHeader(std::span<const std::byte> bytes);

// The PostgreSQL major version (12, 15, ...) a page magic belongs to; nullopt when unknown.
std::optional<int> PgMajorVersionOfWalMagic(uint16_t magic);

// Why `header` cannot be the start of `segment` ("timeline 2 in the header, 1 in the name"), or ""
// when it matches: page address at the segment's first LSN, segment size as given, and a timeline
// no newer than the name's (after a promotion the new timeline's first segment begins with a page
// copied from the old timeline).
std::string WalHeaderMismatch(const WalLongPageHeader& header, WalSegment segment,
                              uint64_t segment_size);

}  // namespace walnut::pg
