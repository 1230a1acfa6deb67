#include "backup/delta/page_selection.h"

#include <cstring>

#include "postgres/page_checksum.h"

namespace walnut {
namespace {

// PageHeaderData (src/include/storage/bufpage.h), in the host's byte order as PostgreSQL writes it.
constexpr size_t kFlagsOffset = 10;
constexpr size_t kLowerOffset = 12;
constexpr size_t kUpperOffset = 14;
constexpr size_t kSpecialOffset = 16;
constexpr size_t kPageSizeVersionOffset = 18;
constexpr uint16_t kValidFlags = 0x7;  // PD_HAS_FREE_LINES | PD_PAGE_FULL | PD_ALL_VISIBLE
constexpr uint16_t kHeaderSize = 24;   // SizeOfPageHeaderData
constexpr uint16_t kMaxLayoutVersion = 5;

uint16_t Field(ConstByteSpan page, size_t offset) {
  uint16_t value = 0;
  std::memcpy(&value, page.data() + offset, sizeof(value));
  return value;
}

}  // namespace

PageDelta ClassifyPageForDelta(ConstByteSpan page, pg::Lsn base_start_lsn) {
  uint16_t upper = Field(page, kUpperOffset);
  if (upper == 0) return PageDelta::kChanged;  // new: extended but never initialised
  uint16_t flags = Field(page, kFlagsOffset);
  uint16_t lower = Field(page, kLowerOffset);
  uint16_t special = Field(page, kSpecialOffset);
  uint16_t size_version = Field(page, kPageSizeVersionOffset);
  pg::Lsn lsn = pg::PageLsn(page);
  bool valid = (flags & ~kValidFlags) == 0 && lower >= kHeaderSize && lower <= upper &&
               upper <= special && special <= pg::kBlockSize && lsn != 0 &&
               (size_version & 0xFF00) == pg::kBlockSize &&
               (size_version & 0x00FF) <= kMaxLayoutVersion;
  if (!valid) return PageDelta::kInvalid;
  return lsn >= base_start_lsn ? PageDelta::kChanged : PageDelta::kUnchanged;
}

}  // namespace walnut
