#include "backup/file_syncer.h"

#include "common/error.h"

namespace walnut {

FileSyncer::~FileSyncer() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.NotifyAll();
  if (worker_.joinable()) worker_.join();
}

void FileSyncer::RethrowLocked() {
  if (error_) std::rethrow_exception(error_);
}

void FileSyncer::Submit(LocalFile file) {
  {
    MutexLock lock(mu_);
    RethrowLocked();
    if (!worker_.joinable()) worker_ = std::thread([this] { Run(); });
    while (queue_.size() + in_flight_ >= max_pending_ && !error_) cv_.Wait(mu_);
    RethrowLocked();
    queue_.push_back(std::move(file));
  }
  cv_.NotifyAll();
}

void FileSyncer::Flush() {
  MutexLock lock(mu_);
  while ((!queue_.empty() || in_flight_ != 0) && !error_) cv_.Wait(mu_);
  RethrowLocked();
}

void FileSyncer::Run() {
  for (;;) {
    LocalFile file;
    {
      MutexLock lock(mu_);
      while (!stopping_ && queue_.empty()) cv_.Wait(mu_);
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
      MutexLock lock(mu_);
      --in_flight_;
      if (error && !error_) error_ = error;
    }
    cv_.NotifyAll();
  }
}

}  // namespace walnut
