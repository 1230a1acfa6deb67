#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "common/error.h"
#include "concurrency/async_reader.h"
#include "concurrency/async_writer.h"
#include "io/memory_stream.h"
#include "support/test_util.h"

namespace walnut {
namespace {

// A downstream Writer that records what it got and can fail on the Nth write.
class RecordingWriter : public Writer {
 public:
  RecordingWriter(std::string* data, bool* closed, bool* aborted, int fail_at = -1)
      : data_(data), closed_(closed), aborted_(aborted), fail_at_(fail_at) {}
  void Write(ConstByteSpan src) override {
    if (++writes_ == fail_at_) throw Error(ErrorCode::kNetwork, "upload failed");
    data_->append(AsChars(src));
  }
  void Close() override { *closed_ = true; }
  void Abort() noexcept override { *aborted_ = true; }

 private:
  std::string* data_;
  bool* closed_;
  bool* aborted_;
  int fail_at_;
  int writes_ = 0;
};

TEST(AsyncWriterTest, PassesEveryByteInOrderAndClosesDownstream) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{4095}, size_t{5 << 20}}) {
    std::string got;
    bool closed = false, aborted = false;
    AsyncWriter writer(std::make_unique<RecordingWriter>(&got, &closed, &aborted), 4096, 2);
    std::string data = testing::RandomBytes(size, size);
    testing::WriteInRandomChunks(writer, data, 10000);
    EXPECT_TRUE(got == data) << size;
    EXPECT_TRUE(closed);
    EXPECT_FALSE(aborted);
  }
}

TEST(AsyncWriterTest, ADownstreamErrorReachesTheProducerAndAbortsDownstream) {
  std::string got;
  bool closed = false, aborted = false;
  auto writer = std::make_unique<AsyncWriter>(
      std::make_unique<RecordingWriter>(&got, &closed, &aborted, 3), 1024, 2);
  std::string chunk(1024, 'x');
  try {
    for (int i = 0; i < 100; ++i) writer->Write(AsBytes(chunk));
    writer->Close();
    FAIL() << "the error did not surface";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "upload failed");
  }
  writer.reset();
  EXPECT_FALSE(closed);
  EXPECT_TRUE(aborted);
}

TEST(AsyncWriterTest, DestructionWithoutCloseAborts) {
  std::string got;
  bool closed = false, aborted = false;
  {
    AsyncWriter writer(std::make_unique<RecordingWriter>(&got, &closed, &aborted), 1024, 2);
    writer.Write(AsBytes(std::string(5000, 'y')));
  }
  EXPECT_FALSE(closed);
  EXPECT_TRUE(aborted);
}

// An upstream Reader that fails after `fail_after` bytes.
class FailingReader : public Reader {
 public:
  FailingReader(std::string data, size_t fail_after) : data_(std::move(data)), fail_after_(fail_after) {}
  size_t Read(ByteSpan dst) override {
    if (pos_ >= fail_after_) throw Error(ErrorCode::kCorruption, "bad bytes");
    size_t n = std::min({dst.size(), data_.size() - pos_, fail_after_ - pos_, size_t{777}});
    std::memcpy(dst.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t fail_after_;
  size_t pos_ = 0;
};

TEST(AsyncReaderTest, ReadsEverythingInOrder) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{4096}, size_t{3 << 20}}) {
    std::string data = testing::RandomBytes(size, size + 1);
    AsyncReader reader(std::make_unique<MemoryReader>(data), 4096, 3);
    EXPECT_TRUE(testing::ReadInRandomChunks(reader, 9000) == data) << size;
  }
}

TEST(AsyncReaderTest, AnUpstreamErrorComesAfterTheBytesBeforeIt) {
  std::string data = testing::RandomBytes(100000);
  AsyncReader reader(std::make_unique<FailingReader>(data, 50000), 4096, 2);
  std::string got;
  std::string buf(1000, '\0');
  try {
    while (size_t n = reader.Read(AsWritableBytes(buf))) got.append(buf.data(), n);
    FAIL() << "the error was lost";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  }
  EXPECT_EQ(got, data.substr(0, 50000));
}

TEST(AsyncReaderTest, DestructionBeforeTheEndStopsTheWorker) {
  AsyncReader reader(std::make_unique<MemoryReader>(testing::RandomBytes(10 << 20)), 4096, 2);
  std::string buf(10, '\0');
  EXPECT_EQ(reader.Read(AsWritableBytes(buf)), 10u);
}

}  // namespace
}  // namespace walnut
