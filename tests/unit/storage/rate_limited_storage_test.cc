#include "storage/rate_limited_storage.h"

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "io/copy.h"
#include "storage/memory/memory_storage.h"
#include "support/test_util.h"

namespace walnut::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kRate = 8 << 20;  // bytes per second
constexpr size_t kSize = 4 << 20;    // half a second at kRate

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The time the bucket must take for `bytes` past its burst.
double MinimumSeconds(uint64_t bytes) {
  return static_cast<double>(bytes - RateLimitedStorage::BurstFor(kRate)) / kRate;
}

void PutString(Storage& storage, std::string_view key, const std::string& data) {
  auto writer = storage.Put(key);
  for (size_t at = 0; at < data.size(); at += 64 << 10)
    writer->Write(AsBytes(std::string_view(data).substr(at, 64 << 10)));
  writer->Close();
}

TEST(RateLimitedStorageTest, DownloadsAreHeldToTheRate) {
  MemoryStorage memory;
  std::string data = RandomBytes(kSize, 1);
  PutString(memory, "obj", data);
  RateLimitedStorage limited(memory, kRate);

  auto start = Clock::now();
  auto reader = limited.Get("obj");
  EXPECT_EQ(ReadAll(*reader), data);
  double seconds = SecondsSince(start);
  EXPECT_GE(seconds, MinimumSeconds(kSize) * 0.9);
  EXPECT_LT(seconds, 5.0);
}

TEST(RateLimitedStorageTest, UploadsAreHeldToTheRate) {
  MemoryStorage memory;
  RateLimitedStorage limited(memory, kRate);
  std::string data = RandomBytes(kSize, 2);
  auto start = Clock::now();
  PutString(limited, "obj", data);
  double seconds = SecondsSince(start);
  EXPECT_GE(seconds, MinimumSeconds(kSize) * 0.9);
  EXPECT_EQ(ReadAll(*memory.Get("obj")), data);
}

TEST(RateLimitedStorageTest, ConcurrentTransfersShareOneBucket) {
  MemoryStorage memory;
  std::string data = RandomBytes(kSize / 2, 3);
  PutString(memory, "a", data);
  RateLimitedStorage limited(memory, kRate);

  auto start = Clock::now();
  std::thread up([&] { PutString(limited, "b", data); });
  std::string down = ReadAll(*limited.Get("a"));
  up.join();
  // Each alone would pass within its burst; together they must wait.
  EXPECT_GE(SecondsSince(start), MinimumSeconds(kSize) * 0.9);
  EXPECT_EQ(down, data);
}

TEST(RateLimitedStorageTest, MetadataCallsAreNotCounted) {
  MemoryStorage memory;
  PutString(memory, "obj", RandomBytes(kSize, 4));
  RateLimitedStorage limited(memory, kRate);
  auto start = Clock::now();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(limited.Stat("obj"));
    limited.List("", ListOptions{}, [](const ObjectInfo&) {});
  }
  EXPECT_LT(SecondsSince(start), 0.2);
}

}  // namespace
}  // namespace walnut::testing
