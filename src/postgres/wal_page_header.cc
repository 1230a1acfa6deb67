#include "postgres/wal_page_header.h"

#include <cstring>

#include <fmt/format.h>

namespace walnut::pg {
namespace {

constexpr uint16_t kLongHeaderFlag = 0x0002;  // XLP_LONG_HEADER

// XLOG_PAGE_MAGIC by major version (access/xlog_internal.h of each release).
struct MagicVersion {
  uint16_t magic;
  int major;
};
constexpr MagicVersion kMagics[] = {
    {0xD093, 9},  {0xD097, 10}, {0xD098, 11}, {0xD101, 12}, {0xD106, 13},
    {0xD10D, 14}, {0xD110, 15}, {0xD113, 16}, {0xD116, 17},
};

template <class T>
T Load(std::span<const std::byte> bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

}  // namespace

std::optional<int> PgMajorVersionOfWalMagic(uint16_t magic) {
  for (const auto& m : kMagics) {
    if (m.magic == magic) return m.major;
  }
  return std::nullopt;
}

std::optional<WalLongPageHeader> ParseWalLongPageHeader(std::span<const std::byte> bytes) {
  if (bytes.size() < kWalLongPageHeaderSize) return std::nullopt;
  WalLongPageHeader h;
  h.magic = Load<uint16_t>(bytes, 0);
  h.info = Load<uint16_t>(bytes, 2);
  h.timeline = Load<uint32_t>(bytes, 4);
  h.page_address = Load<uint64_t>(bytes, 8);
  // 16: xlp_rem_len, 20: padding to the 8-byte alignment of xlp_sysid.
  h.system_identifier = Load<uint64_t>(bytes, 24);
  h.segment_size = Load<uint32_t>(bytes, 32);
  h.block_size = Load<uint32_t>(bytes, 36);
  if (!PgMajorVersionOfWalMagic(h.magic) || (h.info & kLongHeaderFlag) == 0) return std::nullopt;
  return h;
}

std::string WalHeaderMismatch(const WalLongPageHeader& header, WalSegment segment,
                              uint64_t segment_size) {
  if (header.segment_size != segment_size) {
    return fmt::format("segment size {} in the header, {} configured (WALG_PG_WAL_SIZE)",
                       header.segment_size, segment_size);
  }
  if (header.page_address != SegmentStartLsn(segment.segno, segment_size)) {
    return fmt::format("the header is for LSN {}, the name for {}", FormatLsn(header.page_address),
                       FormatLsn(SegmentStartLsn(segment.segno, segment_size)));
  }
  // The first segment of a new timeline starts with a copy of the old timeline's page, whose
  // header keeps the old timeline: only a header timeline newer than the name's is wrong.
  if (header.timeline > segment.timeline) {
    return fmt::format("timeline {} in the header, {} in the name", header.timeline,
                       segment.timeline);
  }
  return "";
}

}  // namespace walnut::pg
