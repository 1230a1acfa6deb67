#include "common/base64.h"

#include <string>

#include <gtest/gtest.h>

namespace walnut {
namespace {

TEST(Base64Test, EncodesWithPaddingAsRfc4648) {
  // RFC 4648 §10's test vectors.
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("\xfb\xff"), "+/8=");
}

TEST(Base64Test, DecodesWhatItEncodes) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(Base64Decode(Base64Encode(s)), s);
  }
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  EXPECT_EQ(Base64Decode(Base64Encode(bytes)), bytes);
  EXPECT_EQ(Base64Decode("QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=")->size(), 32u);
}

TEST(Base64Test, RefusesWhatIsNotPaddedStandardBase64) {
  EXPECT_FALSE(Base64Decode("Zg"));     // no padding
  EXPECT_FALSE(Base64Decode("Zm9vY"));  // not a multiple of 4
  EXPECT_FALSE(Base64Decode("Zm9*"));   // not the alphabet
  EXPECT_FALSE(Base64Decode("-_8="));   // the URL-safe alphabet
}

}  // namespace
}  // namespace walnut
