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
    MutexLock lock(mu_);
    shutting_down_ = true;
  }
  changed_.NotifyAll();
  for (auto& t : threads_) t.join();
}

bool TarUploadQueue::Submit(std::unique_ptr<TarPartition> tar) {
  {
    MutexLock lock(mu_);
    while (waiting_ >= capacity_ && !cancelled_) changed_.Wait(mu_);
    if (!cancelled_) {
      ++waiting_;
      handed_over_.push_back(std::move(tar));
    }
  }
  changed_.NotifyAll();
  // A tar not handed over aborts its upload when it goes, outside the lock.
  return tar == nullptr;
}

void TarUploadQueue::Drain() {
  MutexLock lock(mu_);
  while (waiting_ != 0) changed_.Wait(mu_);
}

void TarUploadQueue::Cancel() {
  {
    MutexLock lock(mu_);
    cancelled_ = true;
  }
  changed_.NotifyAll();
}

size_t TarUploadQueue::waiting() const {
  MutexLock lock(mu_);
  return waiting_;
}

void TarUploadQueue::Run() {
  while (true) {
    std::unique_ptr<TarPartition> tar;
    bool cancelled;
    {
      MutexLock lock(mu_);
      while (handed_over_.empty() && !shutting_down_) changed_.Wait(mu_);
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
      MutexLock lock(mu_);
      --waiting_;
    }
    changed_.NotifyAll();
  }
}

}  // namespace walnut
