#include "concurrency/async_writer.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace walnut {

AsyncWriter::AsyncWriter(std::unique_ptr<Writer> next, size_t buffer_size, size_t depth)
    : next_(std::move(next)),
      buffer_size_(std::max<size_t>(1, buffer_size)),
      depth_(std::max<size_t>(1, depth)) {
  current_.reserve(buffer_size_);
  worker_ = std::thread([this] { Run(); });
}

AsyncWriter::~AsyncWriter() {
  if (state_ == State::kOpen) Abort();
}

void AsyncWriter::Run() {
  while (true) {
    Buffer buffer;
    {
      MutexLock lock(mu_);
      while (!aborting_ && queue_.empty() && !finishing_) cv_.Wait(mu_);
      if (aborting_ || worker_error_) return;
      if (queue_.empty()) return;  // finishing and drained
      buffer = std::move(queue_.front());
      queue_.pop_front();
    }
    cv_.NotifyAll();  // a slot in the queue is free
    try {
      next_->Write(buffer);
    } catch (...) {
      MutexLock lock(mu_);
      worker_error_ = std::current_exception();
      queue_.clear();
      cv_.NotifyAll();
      return;
    }
    buffer.clear();
    MutexLock lock(mu_);
    free_.push_back(std::move(buffer));
  }
}

void AsyncWriter::RethrowWorkerError() {
  std::exception_ptr error;
  {
    MutexLock lock(mu_);
    error = worker_error_;
  }
  if (error) std::rethrow_exception(error);
}

void AsyncWriter::Enqueue(bool take_next) {
  {
    MutexLock lock(mu_);
    while (queue_.size() >= depth_ && !worker_error_) cv_.Wait(mu_);
    if (worker_error_) std::rethrow_exception(worker_error_);
    if (!current_.empty()) queue_.push_back(std::move(current_));
    current_ = Buffer();
    if (take_next && !free_.empty()) {
      current_ = std::move(free_.back());
      free_.pop_back();
    } else if (take_next) {
      current_.reserve(buffer_size_);
    }
  }
  cv_.NotifyAll();
}

void AsyncWriter::Write(ConstByteSpan src) {
  if (state_ != State::kOpen) throw Error(ErrorCode::kInternal, "write to a closed writer");
  RethrowWorkerError();
  while (!src.empty()) {
    size_t n = std::min(src.size(), buffer_size_ - current_.size());
    current_.insert(current_.end(), src.begin(), src.begin() + static_cast<std::ptrdiff_t>(n));
    src = src.subspan(n);
    if (current_.size() == buffer_size_) Enqueue(/*take_next=*/true);
  }
}

void AsyncWriter::StopWorker() noexcept {
  if (worker_.joinable()) worker_.join();
}

void AsyncWriter::Close() {
  if (state_ != State::kOpen) throw Error(ErrorCode::kInternal, "close of a closed writer");
  try {
    Enqueue(/*take_next=*/false);
    {
      MutexLock lock(mu_);
      finishing_ = true;
    }
    cv_.NotifyAll();
    StopWorker();
    RethrowWorkerError();
    next_->Close();
    state_ = State::kClosed;
  } catch (...) {
    Abort();
    throw;
  }
}

void AsyncWriter::Abort() noexcept {
  if (state_ != State::kOpen) return;
  {
    MutexLock lock(mu_);
    aborting_ = true;
  }
  cv_.NotifyAll();
  StopWorker();
  next_->Abort();
  state_ = State::kAborted;
}

}  // namespace walnut
