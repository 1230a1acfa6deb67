#include "wal/crc32c.h"

#include <string>

#include <gtest/gtest.h>

#include "support/test_util.h"

namespace walnut {
namespace {

TEST(Crc32cTest, MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32cExtend(0, AsBytes(std::string("123456789"))), 0xe3069283u);
  EXPECT_EQ(Crc32cExtend(0, {}), 0u);
}

TEST(Crc32cTest, ExtendingPieceByPieceEqualsOneCall) {
  std::string data = testing::RandomBytes(100'003);
  uint32_t whole = Crc32cExtend(0, AsBytes(data));
  uint32_t pieces = 0;
  for (size_t at = 0, step = 1; at < data.size(); at += step, step = step * 3 + 1) {
    pieces = Crc32cExtend(pieces, AsBytes(data).subspan(at, std::min(step, data.size() - at)));
  }
  EXPECT_EQ(pieces, whole);
}

TEST(Crc32cTest, NoticesAOneBitChange) {
  std::string data = testing::RandomBytes(1 << 20);
  uint32_t before = Crc32cExtend(0, AsBytes(data));
  data[512'345] ^= 0x10;
  EXPECT_NE(Crc32cExtend(0, AsBytes(data)), before);
}

}  // namespace
}  // namespace walnut
