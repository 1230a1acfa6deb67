#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "io/digest.h"
#include "support/test_util.h"

namespace walnut {
namespace {

constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbcSha256[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(DigestTest, KnownVectors) {
  Digest empty = Digest::Of(AsBytes(""));
  EXPECT_EQ(empty.size, 0u);
  EXPECT_EQ(empty.Hex(), kEmptySha256);
  Digest abc = Digest::Of(AsBytes("abc"));
  EXPECT_EQ(abc.size, 3u);
  EXPECT_EQ(abc.Hex(), kAbcSha256);
  // FIPS 180-2 two-block vector.
  EXPECT_EQ(Digest::Of(AsBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).Hex(),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // One million 'a'.
  EXPECT_EQ(Digest::Of(AsBytes(std::string(1000000, 'a'))).Hex(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(DigestTest, IncrementalEqualsOneShot) {
  std::string data = testing::RandomBytes(1000003, 2);
  Sha256Hasher hasher;
  for (size_t pos = 0, step = 1; pos < data.size(); pos += step, step = step * 3 % 65537 + 1) {
    hasher.Update(AsBytes(std::string_view(data).substr(pos, step)));
  }
  hasher.Update(ConstByteSpan());
  EXPECT_EQ(hasher.Finish(), Digest::Of(AsBytes(data)));
}

TEST(DigestTest, EqualityComparesSizeAndHash) {
  Digest a = Digest::Of(AsBytes("abc"));
  Digest b = a;
  EXPECT_EQ(a, b);
  b.size = 4;
  EXPECT_NE(a, b);
  b = a;
  b.sha256[31] ^= 1;
  EXPECT_NE(a, b);
}

TEST(DigestResultTest, RefusesToAnswerBeforeTheStreamCompleted) {
  DigestResult result;
  EXPECT_FALSE(result.ready());
  try {
    result.get();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInternal);
  }
  result.Set(Digest::Of(AsBytes("abc")));
  EXPECT_TRUE(result.ready());
  EXPECT_EQ(result.get().Hex(), kAbcSha256);
}

}  // namespace
}  // namespace walnut
