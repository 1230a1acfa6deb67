#include "support/faulty_storage.h"

#include <gtest/gtest.h>

#include "common/retry.h"
#include "storage/memory/memory_storage.h"
#include "support/test_util.h"

namespace walnut::testing {
namespace {

void PutString(Storage& storage, std::string_view key, const std::string& data) {
  auto writer = storage.Put(key);
  writer->Write(AsBytes(data));
  writer->Close();
}

class FaultyStorageTest : public ::testing::Test {
 protected:
  FaultyStorageTest() : faulty_(memory_) {}

  MemoryStorage memory_;
  FaultyStorage faulty_;
  const Error transient_{ErrorCode::kNetwork, "injected: connection reset", /*retryable=*/true};
  const Error permanent_{ErrorCode::kPermissionDenied, "injected: access denied"};
};

TEST_F(FaultyStorageTest, FailsTheNthPutOnly) {
  faulty_.FailCall(StorageOp::kPut, 2, transient_);
  PutString(faulty_, "first", "1");
  Error e = ExpectError([&] { faulty_.Put("second"); });
  EXPECT_EQ(e.code(), ErrorCode::kNetwork);
  EXPECT_TRUE(e.retryable());
  EXPECT_STREQ(e.what(), "injected: connection reset");
  PutString(faulty_, "third", "3");
  EXPECT_EQ(faulty_.calls(StorageOp::kPut), 3u);
  EXPECT_EQ(memory_.ObjectCount(), 2u);
}

TEST_F(FaultyStorageTest, CountsFromWhenTheFaultIsAdded) {
  PutString(faulty_, "a", "1");
  PutString(faulty_, "b", "2");
  faulty_.FailCall(StorageOp::kPut, 1, permanent_);
  Error e = ExpectError([&] { faulty_.Put("c"); });
  EXPECT_FALSE(e.retryable());
  PutString(faulty_, "c", "3");
}

TEST_F(FaultyStorageTest, FailsSeveralCallsInARow) {
  faulty_.FailCall(StorageOp::kStat, 2, permanent_, /*times=*/3);
  memory_.Commit("k", "v");
  EXPECT_TRUE(faulty_.Stat("k").has_value());
  for (int i = 0; i < 3; ++i) EXPECT_THROW(faulty_.Stat("k"), Error);
  EXPECT_TRUE(faulty_.Stat("k").has_value());
  EXPECT_EQ(faulty_.calls(StorageOp::kStat), 5u);
}

TEST_F(FaultyStorageTest, AFailedWriteOrCloseCommitsNothing) {
  faulty_.FailCall(StorageOp::kWrite, 2, transient_);
  {
    auto writer = faulty_.Put("w");
    writer->Write(AsBytes("ok"));
    EXPECT_THROW(writer->Write(AsBytes("fails")), Error);
  }
  EXPECT_FALSE(memory_.Stat("w").has_value());

  faulty_.FailCall(StorageOp::kClose, 1, permanent_);
  {
    auto writer = faulty_.Put("c");
    writer->Write(AsBytes("data"));
    EXPECT_THROW(writer->Close(), Error);
  }
  EXPECT_FALSE(memory_.Stat("c").has_value());
  EXPECT_EQ(faulty_.calls(StorageOp::kWrite), 3u);
  EXPECT_EQ(faulty_.calls(StorageOp::kClose), 1u);

  PutString(faulty_, "c", "data");
  EXPECT_EQ(ReadAll(*memory_.Get("c")), "data");
}

TEST_F(FaultyStorageTest, FailsGetReadListAndDelete) {
  memory_.Commit("k", "value");
  faulty_.FailCall(StorageOp::kGet, 1, transient_);
  EXPECT_THROW(faulty_.Get("k"), Error);
  EXPECT_EQ(ReadAll(*faulty_.Get("k")), "value");

  faulty_.FailCall(StorageOp::kRead, 2, transient_);
  auto reader = faulty_.Get("k");
  std::string buf(2, '\0');
  EXPECT_EQ(reader->Read(AsWritableBytes(buf)), 2u);
  EXPECT_THROW(reader->Read(AsWritableBytes(buf)), Error);
  EXPECT_EQ(reader->Read(AsWritableBytes(buf)), 2u);  // the fault fired once

  faulty_.FailCall(StorageOp::kList, 1, permanent_);
  int listed = 0;
  EXPECT_THROW(faulty_.List("", ListOptions{}, [&](const ObjectInfo&) { ++listed; }), Error);
  EXPECT_EQ(listed, 0);

  faulty_.FailCall(StorageOp::kDelete, 1, permanent_);
  EXPECT_THROW(faulty_.Delete(std::vector<std::string>{"k"}), Error);
  EXPECT_TRUE(memory_.Stat("k").has_value());
}

TEST_F(FaultyStorageTest, TruncatesAGetSilently) {
  memory_.Commit("wal", RandomBytes(100000, 3));
  faulty_.TruncateGet(1, 1000);
  auto reader = faulty_.Get("wal");
  EXPECT_EQ(ReadInRandomChunks(*reader, 300), RandomBytes(100000, 3).substr(0, 1000));
  EXPECT_EQ(reader->Read(AsWritableBytes(*std::make_unique<std::string>(10, '\0'))), 0u);
  // Only the first Get was cut short.
  EXPECT_EQ(ReadAll(*faulty_.Get("wal")).size(), 100000u);
}

TEST_F(FaultyStorageTest, TruncatesAGetWithAnError) {
  memory_.Commit("wal", RandomBytes(5000, 4));
  faulty_.TruncateGet(1, 10, transient_);
  auto reader = faulty_.Get("wal");
  std::string got;
  Error e = ExpectError([&] {
    std::string buf(7, '\0');
    while (size_t n = reader->Read(AsWritableBytes(buf))) got.append(buf.data(), n);
  });
  EXPECT_EQ(got, RandomBytes(5000, 4).substr(0, 10));
  EXPECT_TRUE(e.retryable());
}

TEST_F(FaultyStorageTest, TruncationAppliesToRangedGetsToo) {
  memory_.Commit("k", "0123456789");
  faulty_.TruncateGet(1, 3);
  EXPECT_EQ(ReadAll(*faulty_.Get("k", {2, 6})), "234");
}

TEST_F(FaultyStorageTest, ARetryGetsPastTransientFailures) {
  faulty_.FailCall(StorageOp::kPut, 1, transient_, /*times=*/2);
  RetryPolicy fast{5, std::chrono::milliseconds(1), std::chrono::milliseconds(2)};
  WithRetries(fast, "put k", [&] { PutString(faulty_, "k", "v"); });
  EXPECT_EQ(faulty_.calls(StorageOp::kPut), 3u);
  EXPECT_EQ(ReadAll(*memory_.Get("k")), "v");

  faulty_.FailCall(StorageOp::kPut, 1, permanent_, /*times=*/2);
  EXPECT_THROW(WithRetries(fast, "put k", [&] { PutString(faulty_, "k", "v"); }), Error);
  EXPECT_EQ(faulty_.calls(StorageOp::kPut), 4u);  // not retried
}

TEST_F(FaultyStorageTest, ClearFaultsKeepsCounting) {
  faulty_.FailCall(StorageOp::kStat, 1, permanent_, 10);
  EXPECT_THROW(faulty_.Stat("x"), Error);
  faulty_.ClearFaults();
  EXPECT_FALSE(faulty_.Stat("x").has_value());
  EXPECT_EQ(faulty_.calls(StorageOp::kStat), 2u);
}

TEST(StorageWrapperTest, ForwardsToItsTarget) {
  auto target = std::make_unique<MemoryStorage>();
  MemoryStorage* raw = target.get();
  StorageWrapper wrapper(std::move(target));
  raw->Commit("a", "1");
  EXPECT_EQ(ReadAll(*wrapper.Get("a")), "1");
  EXPECT_EQ(wrapper.Describe(), raw->Describe());
  EXPECT_TRUE(wrapper.Supports(StorageFeature::kBatchDelete));
  EXPECT_EQ(&wrapper.target(), raw);
}

}  // namespace
}  // namespace walnut::testing
