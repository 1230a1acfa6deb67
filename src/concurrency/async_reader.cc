#include "concurrency/async_reader.h"

#include <algorithm>
#include <cstring>

namespace walnut {

AsyncReader::AsyncReader(std::unique_ptr<Reader> upstream, size_t buffer_size, size_t depth)
    : upstream_(std::move(upstream)),
      buffer_size_(std::max<size_t>(1, buffer_size)),
      depth_(std::max<size_t>(1, depth)) {
  worker_ = std::thread([this] { Run(); });
}

AsyncReader::~AsyncReader() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.NotifyAll();
  worker_.join();
}

void AsyncReader::Run() {
  while (true) {
    Buffer buffer;
    {
      MutexLock lock(mu_);
      while (!stopping_ && queue_.size() >= depth_) cv_.Wait(mu_);
      if (stopping_) return;
      if (!free_.empty()) {
        buffer = std::move(free_.back());
        free_.pop_back();
      }
    }
    buffer.resize(buffer_size_);
    size_t filled = 0;
    std::exception_ptr error;
    try {
      // Fill the whole buffer where the upstream allows, so the consumer sees few large pieces.
      while (filled < buffer.size()) {
        size_t n = upstream_->Read(ByteSpan(buffer).subspan(filled));
        if (n == 0) break;
        filled += n;
      }
    } catch (...) {
      error = std::current_exception();
    }
    bool ended = error || filled < buffer.size();
    buffer.resize(filled);
    {
      MutexLock lock(mu_);
      if (filled > 0) queue_.push_back(std::move(buffer));
      if (ended) {
        eof_ = true;
        error_ = error;
      }
    }
    cv_.NotifyAll();
    if (ended) return;
  }
}

size_t AsyncReader::Read(ByteSpan dst) {
  if (dst.empty()) return 0;
  if (pos_ == current_.size()) {
    {
      MutexLock lock(mu_);
      if (!current_.empty()) {
        // Kept at its size: the worker's resize to buffer_size_ is then free, not a memset.
        free_.push_back(std::move(current_));
        current_ = Buffer();
        pos_ = 0;
        cv_.NotifyAll();
      }
      while (queue_.empty() && !eof_) cv_.Wait(mu_);
      if (queue_.empty()) {
        if (error_) std::rethrow_exception(error_);
        return 0;
      }
      current_ = std::move(queue_.front());
      queue_.pop_front();
      pos_ = 0;
    }
    cv_.NotifyAll();
  }
  size_t n = std::min(dst.size(), current_.size() - pos_);
  std::memcpy(dst.data(), current_.data() + pos_, n);
  pos_ += n;
  return n;
}

}  // namespace walnut
