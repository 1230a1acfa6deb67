#include "postgres/page_checksum.h"

#include <array>
#include <cassert>
#include <cstring>

namespace walnut::pg {
namespace {

constexpr size_t kSums = 32;
constexpr uint32_t kFnvPrime = 16777619;
constexpr size_t kChecksumOffset = 8;  // offsetof(PageHeaderData, pd_checksum)
constexpr size_t kUpperOffset = 14;    // offsetof(PageHeaderData, pd_upper)
constexpr size_t kFlagsOffset = 10;
constexpr size_t kLowerOffset = 12;
constexpr size_t kSpecialOffset = 16;
constexpr size_t kSizeVersionOffset = 18;
constexpr uint16_t kHeaderSize = 24;   // SizeOfPageHeaderData
constexpr uint16_t kValidFlags = 0x7;  // PD_VALID_FLAG_BITS
constexpr uint16_t kMaxLayoutVersion = 5;

// Base offsets that start each of the parallel sums in a different state (checksum_impl.h).
constexpr std::array<uint32_t, kSums> kBaseOffsets = {
    0x5B1F36E9, 0xB8525960, 0x02AB50AA, 0x1DE66D2A, 0x79FF467A, 0x9BB9F8A3, 0x217E7CD2, 0x83E13D2C,
    0xF8D4474F, 0xE39EB970, 0x42C6AE16, 0x993216FA, 0x7B093B5D, 0x98DAFF3C, 0xF718902A, 0x0B1C9CDB,
    0xE58F764B, 0x187636BC, 0x5D7B3BB1, 0xE73DE7DE, 0x92BEC979, 0xCCA6C0B2, 0x304A0979, 0x85AA43D4,
    0x783125BB, 0x6CA8EAA2, 0xE407EAC6, 0x4B5CFC3E, 0x9FBF8C76, 0x15CA20BE, 0xF2CA9FD3, 0x959BD756};

inline void Mix(uint32_t& sum, uint32_t value) {
  uint32_t tmp = sum ^ value;
  sum = tmp * kFnvPrime ^ (tmp >> 17);
}

template <typename T>
T Load(ConstByteSpan page, size_t offset) {
  T value;
  std::memcpy(&value, page.data() + offset, sizeof(T));
  return value;
}

}  // namespace

uint16_t PageChecksum(ConstByteSpan page, uint32_t block_number) {
  assert(page.size() == kBlockSize);
  // The page as 32-bit words (host order, as PostgreSQL reads them), pd_checksum zeroed.
  std::array<uint32_t, kBlockSize / sizeof(uint32_t)> words;
  std::memcpy(words.data(), page.data(), kBlockSize);
  std::memset(reinterpret_cast<char*>(words.data()) + kChecksumOffset, 0, sizeof(uint16_t));

  std::array<uint32_t, kSums> sums = kBaseOffsets;
  for (size_t i = 0; i < words.size(); i += kSums) {
    for (size_t j = 0; j < kSums; ++j) Mix(sums[j], words[i + j]);
  }
  // Two more rounds of zeros mix the last values into every bit.
  for (int round = 0; round < 2; ++round) {
    for (size_t j = 0; j < kSums; ++j) Mix(sums[j], 0);
  }
  uint32_t result = 0;
  for (uint32_t sum : sums) result ^= sum;
  result ^= block_number;
  return static_cast<uint16_t>(result % 65535 + 1);
}

Lsn PageLsn(ConstByteSpan page) {
  // PageXLogRecPtr: {uint32 xlogid; uint32 xrecoff}, the high half first.
  return (Lsn{Load<uint32_t>(page, 0)} << 32) | Load<uint32_t>(page, 4);
}

uint16_t PageStoredChecksum(ConstByteSpan page) { return Load<uint16_t>(page, kChecksumOffset); }

uint16_t PageUpper(ConstByteSpan page) { return Load<uint16_t>(page, kUpperOffset); }

bool PageHeaderIsSane(ConstByteSpan page) {
  uint16_t flags = Load<uint16_t>(page, kFlagsOffset);
  uint16_t lower = Load<uint16_t>(page, kLowerOffset);
  uint16_t upper = PageUpper(page);
  uint16_t special = Load<uint16_t>(page, kSpecialOffset);
  uint16_t size_version = Load<uint16_t>(page, kSizeVersionOffset);
  return (flags & ~kValidFlags) == 0 && lower >= kHeaderSize && lower <= upper &&
         upper <= special && special <= kBlockSize && PageLsn(page) != 0 &&
         (size_version & 0xFF00) == kBlockSize && (size_version & 0x00FF) <= kMaxLayoutVersion;
}

PageCheck CheckPage(ConstByteSpan page, uint32_t block_number, Lsn backup_start_lsn) {
  if (PageUpper(page) == 0) return PageCheck::kNew;
  if (PageChecksum(page, block_number) == PageStoredChecksum(page)) return PageCheck::kValid;
  // A page written after the backup started may be torn in our read; WAL replay rewrites it
  // (full-page writes), so it is not corruption (pgBackRest does the same).
  if (PageLsn(page) >= backup_start_lsn) return PageCheck::kNewerThanStart;
  return PageCheck::kCorrupt;
}

}  // namespace walnut::pg
