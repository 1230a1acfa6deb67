#include "backup/tar_upload_queue.h"

#include <utility>

namespace walnut {

TarUploadQueue::TarUploadQueue(size_t capacity, OnUploaded on_uploaded, OnFailed on_failed)
    : capacity_(capacity < 1 ? 1 : capacity),
      on_uploaded_(std::move(on_uploaded)),
      on_failed_(std::move(on_failed)) {
  // One thread per place: a tar handed over starts finishing at once.
  for (size_t i = 0; i < capacity_; ++i) threads_.emplace_back([this] { Run(); });
}

TarUploadQueue::~TarUploadQueue() {
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
  }
  changed_.notify_all();
  for (auto& t : threads_) t.join();
}

bool TarUploadQueue::Submit(std::unique_ptr<TarPartition> tar) {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return waiting_ < capacity_ || cancelled_; });
  if (cancelled_) {
    lock.unlock();
    tar.reset();  // aborts its upload, outside the lock
    return false;
  }
  ++waiting_;
  handed_over_.push_back(std::move(tar));
  changed_.notify_all();
  return true;
}

void TarUploadQueue::Drain() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return waiting_ == 0; });
}

void TarUploadQueue::Cancel() {
  {
    std::lock_guard lock(mu_);
    cancelled_ = true;
  }
  changed_.notify_all();
}

size_t TarUploadQueue::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

void TarUploadQueue::Run() {
  while (true) {
    std::unique_ptr<TarPartition> tar;
    bool cancelled;
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] { return !handed_over_.empty() || shutting_down_; });
      if (handed_over_.empty()) return;
      tar = std::move(handed_over_.front());
      handed_over_.pop_front();
      cancelled = cancelled_;
    }
    if (!cancelled) {
      try {
        tar->Close();
        on_uploaded_(*tar);
      } catch (...) {
        Cancel();
        on_failed_(std::current_exception());
      }
    }
    tar.reset();  // frees its buffers; an unclosed (dropped) tar aborts its upload
    {
      std::lock_guard lock(mu_);
      --waiting_;
    }
    changed_.notify_all();
  }
}

}  // namespace walnut
