#include "backup/tar_upload_queue.h"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "storage/folder.h"
#include "storage/memory/memory_storage.h"
#include "support/faulty_storage.h"
#include "support/gated_storage.h"
#include "support/test_util.h"

namespace walnut::testing {
namespace {

using std::chrono::milliseconds;

PipelineOptions Uncompressed() {
  PipelineOptions options;
  options.compression = CompressionMethod::kNone;
  return options;
}

// A tar with one small member, ready to be finished.
std::unique_ptr<TarPartition> FilledTar(const Folder& folder, int number,
                                        const PipelineOptions& pipeline) {
  auto tar =
      std::make_unique<TarPartition>(folder, "part_" + std::to_string(number) + ".tar", pipeline);
  TarEntry entry;
  entry.name = "file" + std::to_string(number);
  entry.mode = 0600;
  tar->AddContent(entry, "content of file " + std::to_string(number));
  return tar;
}

class TarUploadQueueTest : public ::testing::TestWithParam<size_t> {};

TEST_P(TarUploadQueueTest, AtMostCapacityTarsWaitForTheirUpload) {
  const size_t capacity = GetParam();
  constexpr int kTars = 6;
  MemoryStorage memory;
  GatedStorage gate(memory, "part_");
  Folder folder(gate, "");
  PipelineOptions pipeline = Uncompressed();
  std::atomic<int> uploaded{0};
  std::atomic<int> submitted{0};
  {
    TarUploadQueue queue(
        capacity, [&](TarPartition&) { ++uploaded; },
        [](std::exception_ptr) { ADD_FAILURE() << "no upload should fail"; });
    std::thread worker([&] {
      for (int i = 1; i <= kTars; ++i) {
        EXPECT_TRUE(queue.Submit(FilledTar(folder, i, pipeline)));
        ++submitted;
      }
    });
    ASSERT_TRUE(gate.WaitUntilHeld(capacity));
    // The queue is full: the worker waits instead of handing over more.
    std::this_thread::sleep_for(milliseconds(300));
    EXPECT_EQ(gate.held(), capacity);
    EXPECT_EQ(submitted.load(), static_cast<int>(capacity));
    EXPECT_EQ(queue.waiting(), capacity);
    EXPECT_EQ(uploaded.load(), 0);

    gate.Open();
    worker.join();
    queue.Drain();
    EXPECT_EQ(queue.waiting(), 0u);
  }
  EXPECT_EQ(uploaded.load(), kTars);
  EXPECT_EQ(gate.max_held(), capacity);
  EXPECT_EQ(memory.ObjectCount(), static_cast<size_t>(kTars));
}

INSTANTIATE_TEST_SUITE_P(Capacities, TarUploadQueueTest, ::testing::Values(1, 2, 3));

TEST(TarUploadQueueFailureTest, AFailedUploadIsReportedAndLaterTarsAreRefused) {
  MemoryStorage memory;
  FaultyStorage faulty(memory);
  faulty.FailCall(StorageOp::kClose, 1, Error(ErrorCode::kIo, "injected: upload failed"));
  Folder folder(faulty, "");
  PipelineOptions pipeline = Uncompressed();
  std::atomic<int> failures{0};
  std::string message;
  TarUploadQueue queue(
      1, [](TarPartition&) {},
      [&](std::exception_ptr error) {
        try {
          std::rethrow_exception(error);
        } catch (const Error& e) {
          message = e.what();
        }
        ++failures;
      });
  EXPECT_TRUE(queue.Submit(FilledTar(folder, 1, pipeline)));
  queue.Drain();
  EXPECT_EQ(failures.load(), 1);
  EXPECT_EQ(message, "injected: upload failed");
  EXPECT_FALSE(queue.Submit(FilledTar(folder, 2, pipeline)));
  queue.Drain();
  EXPECT_EQ(memory.ObjectCount(), 0u);
}

TEST(TarUploadQueueFailureTest, CancelDropsTarsNotYetFinishing) {
  MemoryStorage memory;
  GatedStorage gate(memory, "part_");
  Folder folder(gate, "");
  PipelineOptions pipeline = Uncompressed();
  std::atomic<int> uploaded{0};
  {
    TarUploadQueue queue(
        2, [&](TarPartition&) { ++uploaded; }, [](std::exception_ptr) {});
    EXPECT_TRUE(queue.Submit(FilledTar(folder, 1, pipeline)));
    ASSERT_TRUE(gate.WaitUntilHeld(1));
    queue.Cancel();
    EXPECT_FALSE(queue.Submit(FilledTar(folder, 2, pipeline)));
    gate.Open();
    queue.Drain();
  }
  // The tar already finishing completes; the one handed over after Cancel never starts.
  EXPECT_EQ(uploaded.load(), 1);
  EXPECT_EQ(memory.ObjectCount(), 1u);
}

}  // namespace
}  // namespace walnut::testing
