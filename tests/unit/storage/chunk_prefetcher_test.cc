#include "storage/chunk_prefetcher.h"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/bytes.h"
#include "common/error.h"
#include "support/test_util.h"

namespace walnut::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// Reads through a ChunkPrefetcher over `data`, recording the ranges fetched.
struct Source {
  std::string data;
  std::vector<std::pair<uint64_t, uint64_t>> fetched;  // (offset, length), in order

  ChunkPrefetcher::FetchChunk Fetch() {
    return [this](uint64_t offset, uint64_t length, std::stop_token) {
      fetched.emplace_back(offset, length);
      return data.substr(offset, length);
    };
  }
};

std::string ReadInPieces(ChunkPrefetcher& prefetcher, size_t piece) {
  std::string out;
  std::string buffer(piece, '\0');
  while (size_t n = prefetcher.Read(AsWritableBytes(buffer))) out.append(buffer, 0, n);
  return out;
}

TEST(ChunkPrefetcherTest, DeliversTheRangeInChunksAfterTheFirst) {
  Source source{RandomBytes(1000, 3), {}};
  ChunkPrefetcher prefetcher(source.Fetch(), 300);
  // The caller fetched bytes 100-149 itself; the rest up to 900 comes in chunks of 300.
  prefetcher.Start(source.data.substr(100, 50), 100, 900);
  EXPECT_EQ(ReadInPieces(prefetcher, 7), source.data.substr(100, 800));
  EXPECT_THAT(source.fetched, ElementsAre(Pair(150, 300), Pair(450, 300), Pair(750, 150)));
  std::byte byte;
  EXPECT_EQ(prefetcher.Read(std::span(&byte, 1)), 0u);
}

TEST(ChunkPrefetcherTest, AnEmptyRangeFetchesNothing) {
  Source source{"abc", {}};
  ChunkPrefetcher prefetcher(source.Fetch(), 2);
  prefetcher.Start(std::string(), 3, 3);
  EXPECT_EQ(ReadInPieces(prefetcher, 4), "");
  EXPECT_TRUE(source.fetched.empty());
}

TEST(ChunkPrefetcherTest, AFailedFetchIsThrownByTheReadThatReachesItsChunk) {
  ChunkPrefetcher prefetcher(
      [](uint64_t offset, uint64_t length, std::stop_token) -> std::string {
        if (offset >= 4) throw Error(ErrorCode::kNetwork, "chunk at 4 failed");
        return std::string(length, 'x');
      },
      4);
  prefetcher.Start(std::string(), 0, 10);
  std::string buffer(4, '\0');
  EXPECT_EQ(prefetcher.Read(AsWritableBytes(buffer)), 4u);
  Error e = ExpectError([&] { prefetcher.Read(AsWritableBytes(buffer)); });
  EXPECT_EQ(e.code(), ErrorCode::kNetwork);
  EXPECT_THAT(e.what(), ::testing::HasSubstr("chunk at 4 failed"));
}

TEST(ChunkPrefetcherTest, DestructionStopsTheFetchInFlightAndWaitsForIt) {
  std::atomic<bool> started = false;
  std::atomic<bool> ended = false;
  {
    ChunkPrefetcher prefetcher(
        [&](uint64_t, uint64_t, std::stop_token stop) -> std::string {
          started = true;
          while (!stop.stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
          ended = true;
          throw Error(ErrorCode::kCancelled, "cancelled");
        },
        4);
    prefetcher.Start(std::string(), 0, 8);
    while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(ended);
}

}  // namespace
}  // namespace walnut::testing
