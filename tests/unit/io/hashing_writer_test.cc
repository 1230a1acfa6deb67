#include "io/hashing_writer.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "io/memory_stream.h"
#include "support/test_util.h"

namespace walnut {
namespace {

// Records how the chain below it ended; can fail on the nth Write() or on Close().
class EndWriter : public Writer {
 public:
  struct Log {
    std::string data;
    bool closed = false;
    bool aborted = false;
  };
  EndWriter(std::shared_ptr<Log> log, int fail_on_write = -1, bool fail_on_close = false)
      : log_(std::move(log)), fail_on_write_(fail_on_write), fail_on_close_(fail_on_close) {}
  void Write(ConstByteSpan src) override {
    if (writes_++ == fail_on_write_) throw Error(ErrorCode::kIo, "injected write failure");
    log_->data.append(AsChars(src));
  }
  void Close() override {
    if (fail_on_close_) throw Error(ErrorCode::kNetwork, "injected close failure");
    log_->closed = true;
  }
  void Abort() noexcept override { log_->aborted = true; }

 private:
  std::shared_ptr<Log> log_;
  int fail_on_write_;
  bool fail_on_close_;
  int writes_ = 0;
};

TEST(HashingWriterTest, KnownVectors) {
  for (const std::string& input : {std::string(), std::string("abc")}) {
    auto result = std::make_shared<DigestResult>();
    auto log = std::make_shared<EndWriter::Log>();
    HashingWriter writer(std::make_unique<EndWriter>(log), result);
    if (!input.empty()) writer.Write(AsBytes(input));
    writer.Close();
    EXPECT_TRUE(log->closed);
    EXPECT_EQ(log->data, input);
    EXPECT_EQ(result->get().size, input.size());
    EXPECT_EQ(result->get(), Digest::Of(AsBytes(input)));
  }
  auto result = std::make_shared<DigestResult>();
  HashingWriter writer(std::make_unique<MemoryWriter>(), result);
  writer.Write(AsBytes("abc"));
  writer.Close();
  EXPECT_EQ(result->get().Hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HashingWriterTest, RandomChunkingGivesTheSameDigestAndForwardsEveryByte) {
  std::string data = testing::RandomBytes(5_MiB + 7, 3);
  Digest expected = Digest::Of(AsBytes(data));
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    auto result = std::make_shared<DigestResult>();
    auto log = std::make_shared<EndWriter::Log>();
    auto writer = std::make_unique<HashingWriter>(std::make_unique<EndWriter>(log), result);
    testing::WriteInRandomChunks(*writer, data, seed == 1 ? 10 : 200000, seed);
    EXPECT_EQ(result->get(), expected);
    EXPECT_EQ(result->get().size, data.size());
    EXPECT_TRUE(log->data == data);
  }
}

TEST(HashingWriterTest, ResultOutlivesTheWriter) {
  auto result = std::make_shared<DigestResult>();
  {
    std::unique_ptr<Writer> chain =
        std::make_unique<HashingWriter>(std::make_unique<MemoryWriter>(), result);
    chain->Write(AsBytes("abc"));
    EXPECT_FALSE(result->ready());
    chain->Close();
  }
  EXPECT_EQ(result->get().size, 3u);
}

TEST(HashingWriterTest, NoDigestWithoutASuccessfulClose) {
  auto result = std::make_shared<DigestResult>();
  auto log = std::make_shared<EndWriter::Log>();
  {
    HashingWriter writer(std::make_unique<EndWriter>(log), result);
    writer.Write(AsBytes("partial"));
  }
  EXPECT_TRUE(log->aborted);
  EXPECT_FALSE(log->closed);
  EXPECT_FALSE(result->ready());

  auto close_log = std::make_shared<EndWriter::Log>();
  {
    HashingWriter writer(std::make_unique<EndWriter>(close_log, -1, /*fail_on_close=*/true),
                         result);
    writer.Write(AsBytes("abc"));
    EXPECT_THROW(writer.Close(), Error);
  }
  EXPECT_FALSE(result->ready());
  EXPECT_TRUE(close_log->aborted);
}

TEST(HashingWriterTest, CountsOnlyBytesTheDownstreamAccepted) {
  auto result = std::make_shared<DigestResult>();
  auto log = std::make_shared<EndWriter::Log>();
  HashingWriter writer(std::make_unique<EndWriter>(log, /*fail_on_write=*/1), result);
  writer.Write(AsBytes("abc"));
  EXPECT_THROW(writer.Write(AsBytes("def")), Error);
  writer.Abort();
  EXPECT_TRUE(log->aborted);
  EXPECT_FALSE(result->ready());
}

TEST(HashingWriterTest, MisuseIsAnError) {
  auto result = std::make_shared<DigestResult>();
  HashingWriter writer(std::make_unique<MemoryWriter>(), result);
  writer.Close();
  EXPECT_THROW(writer.Write(AsBytes("x")), Error);
  EXPECT_THROW(writer.Close(), Error);
  EXPECT_THROW(HashingWriter(nullptr, result), Error);
  EXPECT_THROW(HashingWriter(std::make_unique<MemoryWriter>(), nullptr), Error);
}

}  // namespace
}  // namespace walnut
