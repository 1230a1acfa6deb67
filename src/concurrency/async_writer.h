#pragma once

#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "io/writer.h"

namespace walnut {

// Runs the downstream Writer on a thread of its own, so that the work above (compression) and the
// work below (encryption, checksums, storage I/O) use two cores instead of taking turns on one.
// Write() copies into a buffer of `buffer_size` bytes; full buffers queue for the worker, at most
// `depth` of them, and Write() blocks when the queue is full: memory stays depth × buffer_size.
// An error on the worker thread is rethrown by the next Write() or by Close(). Close() drains the
// queue, then closes the downstream Writer; Abort() (or destruction without Close) drops what is
// queued and aborts it. Not thread-safe, as every Writer.
class AsyncWriter : public Writer {
 public:
  static constexpr size_t kDefaultBufferSize = 1 << 20;
  static constexpr size_t kDefaultDepth = 3;

  explicit AsyncWriter(std::unique_ptr<Writer> next, size_t buffer_size = kDefaultBufferSize,
                       size_t depth = kDefaultDepth);
  ~AsyncWriter() override;

  void Write(ConstByteSpan src) override;
  void Close() override;
  void Abort() noexcept override;

 private:
  using Buffer = std::vector<std::byte>;

  void Run();
  // Queues `current_` (if not empty); with take_next, takes a free buffer to fill next.
  void Enqueue(bool take_next);
  void StopWorker() noexcept;  // asks the worker to end and joins it
  void RethrowWorkerError();

  std::unique_ptr<Writer> next_;
  const size_t buffer_size_;
  const size_t depth_;
  Buffer current_;  // being filled by Write(); touched only by the caller

  Mutex mu_;
  CondVar cv_;
  std::deque<Buffer> queue_ GUARDED_BY(mu_);  // full buffers for the worker
  std::vector<Buffer> free_ GUARDED_BY(mu_);  // written buffers to reuse
  bool finishing_ GUARDED_BY(mu_) = false;    // no more buffers will come
  bool aborting_ GUARDED_BY(mu_) = false;
  std::exception_ptr worker_error_ GUARDED_BY(mu_);
  std::thread worker_;
  enum class State { kOpen, kClosed, kAborted } state_ = State::kOpen;
};

}  // namespace walnut
