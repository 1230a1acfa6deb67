#include "backup/file_syncer.h"

#include "common/error.h"

namespace walnut {

FileSyncer::~FileSyncer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void FileSyncer::RethrowLocked() {
  if (error_) std::rethrow_exception(error_);
}

void FileSyncer::Submit(LocalFile file) {
  std::unique_lock lock(mu_);
  RethrowLocked();
  if (!worker_.joinable()) worker_ = std::thread([this] { Run(); });
  cv_.wait(lock, [&] { return queue_.size() + in_flight_ < max_pending_ || error_; });
  RethrowLocked();
  queue_.push_back(std::move(file));
  lock.unlock();
  cv_.notify_all();
}

void FileSyncer::Flush() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return (queue_.empty() && in_flight_ == 0) || error_; });
  RethrowLocked();
}

void FileSyncer::Run() {
  for (;;) {
    LocalFile file;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      file = std::move(queue_.front());
      queue_.pop_front();
      ++in_flight_;
    }
    std::exception_ptr error;
    try {
      file.Sync();
      file.Close();
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(mu_);
      --in_flight_;
      if (error && !error_) error_ = error;
    }
    cv_.notify_all();
  }
}

}  // namespace walnut
