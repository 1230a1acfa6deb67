#include "postgres/wal_page_header.h"

#include <cstring>
#include <vector>

#include <gtest/gtest.h>

namespace walnut::pg {
namespace {

std::vector<std::byte> Header(uint16_t magic, uint16_t info, uint32_t tli, uint64_t pageaddr,
                              uint64_t sysid, uint32_t seg_size) {
  std::vector<std::byte> b(8192);
  std::memcpy(&b[0], &magic, 2);
  std::memcpy(&b[2], &info, 2);
  std::memcpy(&b[4], &tli, 4);
  std::memcpy(&b[8], &pageaddr, 8);
  std::memcpy(&b[24], &sysid, 8);
  std::memcpy(&b[32], &seg_size, 4);
  uint32_t blcksz = 8192;
  std::memcpy(&b[36], &blcksz, 4);
  return b;
}

TEST(WalPageHeaderTest, ParsesALongHeader) {
  auto bytes = Header(0xD110, 0x0002, 1, 3u << 24, 7507672962298572862u, 16u << 20);
  auto h = ParseWalLongPageHeader(bytes);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->timeline, 1u);
  EXPECT_EQ(h->system_identifier, 7507672962298572862u);
  EXPECT_EQ(PgMajorVersionOfWalMagic(h->magic), 15);
  EXPECT_EQ(WalHeaderMismatch(*h, {1, 3}, 16u << 20), "");
  EXPECT_NE(WalHeaderMismatch(*h, {1, 4}, 16u << 20), "");
  // The first segment of timeline 2 may begin with timeline 1's page; never the other way round.
  EXPECT_EQ(WalHeaderMismatch(*h, {2, 3}, 16u << 20), "");
  auto newer = ParseWalLongPageHeader(Header(0xD110, 0x0002, 3, 3u << 24, 1, 16u << 20));
  ASSERT_TRUE(newer);
  EXPECT_NE(WalHeaderMismatch(*newer, {2, 3}, 16u << 20), "");
  EXPECT_NE(WalHeaderMismatch(*h, {1, 3}, 64u << 20), "");
}

TEST(WalPageHeaderTest, RejectsShortInputUnknownMagicAndShortHeaders) {
  auto bytes = Header(0xD110, 0x0002, 1, 0, 1, 16u << 20);
  EXPECT_FALSE(ParseWalLongPageHeader(std::span(bytes).first(39)));
  EXPECT_FALSE(ParseWalLongPageHeader(Header(0x1234, 0x0002, 1, 0, 1, 16u << 20)));
  EXPECT_FALSE(ParseWalLongPageHeader(Header(0xD110, 0x0000, 1, 0, 1, 16u << 20)));
  std::vector<std::byte> zeros(8192);
  EXPECT_FALSE(ParseWalLongPageHeader(zeros));
}

}  // namespace
}  // namespace walnut::pg
