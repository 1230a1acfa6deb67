#include "concurrency/task_group.h"

#include <algorithm>

namespace walnut {

TaskGroup::TaskGroup(size_t max_in_flight) : max_in_flight_(std::max<size_t>(1, max_in_flight)) {}

TaskGroup::~TaskGroup() {
  stop_.request_stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

bool TaskGroup::failed() const {
  MutexLock lock(mu_);
  return first_error_ != nullptr;
}

void TaskGroup::RethrowIfFailed() {
  std::exception_ptr error;
  {
    MutexLock lock(mu_);
    error = first_error_;
  }
  if (error) std::rethrow_exception(error);
}

void TaskGroup::ReapFinished() {
  // Join threads that have finished so that a long-running group does not accumulate them.
  for (auto id : done_) {
    auto it = std::find_if(threads_.begin(), threads_.end(),
                           [&](const std::jthread& t) { return t.get_id() == id; });
    if (it != threads_.end()) {
      it->join();
      threads_.erase(it);
    }
  }
  done_.clear();
}

void TaskGroup::Submit(std::function<void(std::stop_token)> task) {
  {
    MutexLock lock(mu_);
    while (running_ >= max_in_flight_ && !first_error_) cv_.Wait(mu_);
    ReapFinished();
    if (first_error_) std::rethrow_exception(first_error_);
    ++running_;
  }
  threads_.emplace_back([this, task = std::move(task), token = stop_.get_token()] {
    std::exception_ptr error;
    try {
      task(token);
    } catch (...) {
      error = std::current_exception();
    }
    MutexLock lock(mu_);
    if (error && !first_error_) {
      first_error_ = error;
      stop_.request_stop();
    }
    --running_;
    done_.push_back(std::this_thread::get_id());
    cv_.NotifyAll();
  });
}

void TaskGroup::Wait() {
  {
    MutexLock lock(mu_);
    while (running_ != 0) cv_.Wait(mu_);
  }
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  {
    MutexLock lock(mu_);
    done_.clear();
  }
  RethrowIfFailed();
}

}  // namespace walnut
