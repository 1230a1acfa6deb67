#include "common/mutex.h"

#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace walnut {
namespace {

using namespace std::chrono_literals;

class Counter {
 public:
  void Add() {
    MutexLock lock(mu_);
    ++count_;
  }
  int count() const {
    MutexLock lock(mu_);
    return count_;
  }

 private:
  mutable Mutex mu_;
  int count_ GUARDED_BY(mu_) = 0;
};

TEST(MutexTest, MutexLockExcludesOtherThreads) {
  Counter counter;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) counter.Add();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter.count(), 400000);
}

class Flag {
 public:
  void Set() {
    {
      MutexLock lock(mu_);
      set_ = true;
    }
    cv_.NotifyAll();
  }
  // Waits until Set() or `timeout`; returns whether it was set.
  bool WaitFor(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    MutexLock lock(mu_);
    while (!set_) {
      if (!cv_.WaitUntil(mu_, deadline)) break;
    }
    return set_;
  }
  void Wait() {
    MutexLock lock(mu_);
    while (!set_) cv_.Wait(mu_);
  }

 private:
  Mutex mu_;
  CondVar cv_;
  bool set_ GUARDED_BY(mu_) = false;
};

TEST(MutexTest, WaitReturnsOnceAnotherThreadNotifies) {
  Flag flag;
  std::thread setter([&] {
    std::this_thread::sleep_for(20ms);
    flag.Set();
  });
  flag.Wait();
  setter.join();
  EXPECT_TRUE(flag.WaitFor(0ms));
}

TEST(MutexTest, WaitUntilTimesOutWithoutNotification) {
  Flag flag;
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(flag.WaitFor(50ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
}

TEST(MutexTest, WaitUntilWakesBeforeTheDeadlineWhenNotified) {
  Flag flag;
  std::thread setter([&] {
    std::this_thread::sleep_for(20ms);
    flag.Set();
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(flag.WaitFor(10s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  setter.join();
}

}  // namespace
}  // namespace walnut
