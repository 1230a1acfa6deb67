#include "concurrency/task_group.h"

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "common/error.h"

namespace walnut {
namespace {

using namespace std::chrono_literals;

TEST(TaskGroupTest, RunsEveryTaskAndNeverMoreThanTheLimitAtOnce) {
  TaskGroup group(3);
  std::atomic<int> running{0}, peak{0}, done{0};
  for (int i = 0; i < 40; ++i) {
    group.Submit([&](std::stop_token) {
      int now = ++running;
      int seen = peak.load();
      while (now > seen && !peak.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(2ms);
      --running;
      ++done;
    });
  }
  group.Wait();
  EXPECT_EQ(done.load(), 40);
  EXPECT_LE(peak.load(), 3);
  EXPECT_GE(peak.load(), 2) << "tasks did not run concurrently";
}

TEST(TaskGroupTest, SubmitBlocksWhileAllSlotsAreBusy) {
  TaskGroup group(1);
  std::atomic<bool> release{false};
  group.Submit([&](std::stop_token) {
    while (!release) std::this_thread::sleep_for(1ms);
  });
  auto start = std::chrono::steady_clock::now();
  std::thread releaser([&] {
    std::this_thread::sleep_for(50ms);
    release = true;
  });
  group.Submit([](std::stop_token) {});
  EXPECT_GE(std::chrono::steady_clock::now() - start, 40ms);
  releaser.join();
  group.Wait();
}

TEST(TaskGroupTest, TheFirstErrorStopsTheOthersAndIsRethrown) {
  TaskGroup group(4);
  std::atomic<int> stopped{0};
  for (int i = 0; i < 3; ++i) {
    group.Submit([&](std::stop_token stop) {
      while (!stop.stop_requested()) std::this_thread::sleep_for(1ms);
      ++stopped;
    });
  }
  group.Submit([](std::stop_token) { throw Error(ErrorCode::kNetwork, "part 7 failed"); });
  try {
    group.Wait();
    FAIL() << "Wait() did not rethrow";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "part 7 failed");
  }
  EXPECT_EQ(stopped.load(), 3);
}

TEST(TaskGroupTest, SubmitAfterAFailureThrows) {
  TaskGroup group(1);
  group.Submit([](std::stop_token) { throw std::runtime_error("boom"); });
  EXPECT_THROW(
      {
        for (int i = 0; i < 100; ++i) group.Submit([](std::stop_token) {});
      },
      std::runtime_error);
}

TEST(TaskGroupTest, DestructionWithoutWaitStopsAndJoins) {
  std::atomic<bool> saw_stop{false};
  {
    TaskGroup group(2);
    group.Submit([&](std::stop_token stop) {
      while (!stop.stop_requested()) std::this_thread::sleep_for(1ms);
      saw_stop = true;
    });
  }
  EXPECT_TRUE(saw_stop.load());
}

}  // namespace
}  // namespace walnut
