#include "io/hashing_reader.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "io/memory_stream.h"
#include "support/test_util.h"

namespace walnut {
namespace {

TEST(HashingReaderTest, KnownVectors) {
  auto empty = std::make_shared<DigestResult>();
  HashingReader empty_reader(std::make_unique<MemoryReader>(""), empty);
  EXPECT_EQ(testing::ReadAll(empty_reader), "");
  EXPECT_EQ(empty->get().size, 0u);
  EXPECT_EQ(empty->get().Hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  auto abc = std::make_shared<DigestResult>();
  HashingReader abc_reader(std::make_unique<MemoryReader>("abc"), abc);
  EXPECT_EQ(testing::ReadAll(abc_reader), "abc");
  EXPECT_EQ(abc->get().size, 3u);
  EXPECT_EQ(abc->get().Hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HashingReaderTest, RandomChunkingGivesTheSameDigest) {
  std::string data = testing::RandomBytes(3_MiB + 11, 4);
  Digest expected = Digest::Of(AsBytes(data));
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    auto result = std::make_shared<DigestResult>();
    HashingReader reader(std::make_unique<MemoryReader>(data), result);
    std::string got = testing::ReadInRandomChunks(reader, seed == 1 ? 10 : 300000, seed);
    EXPECT_TRUE(got == data);
    EXPECT_EQ(result->get(), expected);
  }
}

TEST(HashingReaderTest, DigestOnlyAtTheEndOfTheStream) {
  auto result = std::make_shared<DigestResult>();
  HashingReader reader(std::make_unique<MemoryReader>("abcdef"), result);
  std::string buf(6, '\0');
  EXPECT_EQ(ReadFull(reader, AsWritableBytes(buf)), 6u);
  // Every byte was read, but the end has not been seen yet.
  EXPECT_FALSE(result->ready());
  // An empty destination is not the end of the stream.
  EXPECT_EQ(reader.Read(ByteSpan()), 0u);
  EXPECT_FALSE(result->ready());
  EXPECT_EQ(reader.Read(AsWritableBytes(buf)), 0u);
  ASSERT_TRUE(result->ready());
  EXPECT_EQ(result->get(), Digest::Of(AsBytes("abcdef")));
  // Further reads stay at the end and do not change the result.
  EXPECT_EQ(reader.Read(AsWritableBytes(buf)), 0u);
  EXPECT_EQ(result->get().size, 6u);
}

class FailingReader : public Reader {
 public:
  size_t Read(ByteSpan dst) override {
    if (calls_++ > 0) throw Error(ErrorCode::kNetwork, "connection reset", true);
    dst[0] = std::byte{'x'};
    return 1;
  }

 private:
  int calls_ = 0;
};

TEST(HashingReaderTest, UpstreamErrorsPassThroughWithoutADigest) {
  auto result = std::make_shared<DigestResult>();
  HashingReader reader(std::make_unique<FailingReader>(), result);
  std::string buf(4, '\0');
  EXPECT_EQ(reader.Read(AsWritableBytes(buf)), 1u);
  EXPECT_THROW(reader.Read(AsWritableBytes(buf)), Error);
  EXPECT_FALSE(result->ready());
}

}  // namespace
}  // namespace walnut
