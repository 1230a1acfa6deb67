#include "backup/file_syncer.h"

#include <fmt/format.h>

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

void FileSyncer::Submit(UniqueFd fd, std::string path) {
  {
    MutexLock lock(mu_);
    RethrowLocked();
    if (!worker_.joinable()) worker_ = std::thread([this] { Run(); });
    while (queue_.size() + in_flight_ >= max_pending_ && !error_) cv_.Wait(mu_);
    RethrowLocked();
    queue_.push_back(Pending{std::move(fd), std::move(path)});
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
    Pending file;
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
      if (::fsync(file.fd.get()) != 0) ThrowSystemError(fmt::format("cannot sync {}", file.path));
      if (int err = file.fd.Close(); err != 0)
        ThrowSystemError(fmt::format("cannot close {}", file.path), err);
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
