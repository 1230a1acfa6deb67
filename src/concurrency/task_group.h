#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <stop_token>
#include <thread>
#include <vector>

#include "common/mutex.h"

namespace walnut {

// Runs tasks on at most `max_in_flight` threads at once. Submit() blocks while all slots are
// busy, which is the backpressure that bounds memory: a caller holding one buffer per task never
// has more than max_in_flight + 1 buffers alive. The first task to throw requests stop for the
// others (through their stop_token) and its exception is rethrown by Wait() or by the next
// Submit(). Thread-safe for Submit() from one producer thread; Wait() from that same thread.
class TaskGroup {
 public:
  explicit TaskGroup(size_t max_in_flight);
  // Requests stop and joins every task; never throws (call Wait() to see errors).
  ~TaskGroup();

  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  void Submit(std::function<void(std::stop_token)> task);
  // Waits for every submitted task; rethrows the first error.
  void Wait();
  bool failed() const;

 private:
  void RethrowIfFailed();
  void ReapFinished() REQUIRES(mu_);

  const size_t max_in_flight_;
  std::stop_source stop_;
  mutable Mutex mu_;
  CondVar cv_;
  size_t running_ GUARDED_BY(mu_) = 0;
  std::exception_ptr first_error_ GUARDED_BY(mu_);
  std::vector<std::jthread> threads_;                  // touched only by the producer thread
  std::vector<std::thread::id> done_ GUARDED_BY(mu_);  // finished threads to join
};

}  // namespace walnut
