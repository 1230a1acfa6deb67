#include "common/hex.h"

#include <gtest/gtest.h>

namespace walnut {
namespace {

TEST(HexTest, EncodesLowerCaseTwoDigitsPerByte) {
  EXPECT_EQ(HexEncode(std::string_view("")), "");
  EXPECT_EQ(HexEncode(std::string_view("\x00\x0f\xa0\xff", 4)), "000fa0ff");
  EXPECT_EQ(HexEncode(AsBytes("abc")), "616263");
}

}  // namespace
}  // namespace walnut
