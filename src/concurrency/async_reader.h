#pragma once

#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "io/reader.h"

namespace walnut {

// Reads the upstream Reader ahead on a thread of its own (network, decryption), so that the
// consumer (decompression, writing files) works on one core while the next bytes are fetched on
// another. At most `depth` buffers of `buffer_size` bytes are held. An upstream error reaches the
// consumer after the bytes read before it. Destruction stops the worker after its current read.
// Not thread-safe, as every Reader.
class AsyncReader : public Reader {
 public:
  static constexpr size_t kDefaultBufferSize = 1 << 20;
  static constexpr size_t kDefaultDepth = 3;

  explicit AsyncReader(std::unique_ptr<Reader> upstream, size_t buffer_size = kDefaultBufferSize,
                       size_t depth = kDefaultDepth);
  ~AsyncReader() override;

  size_t Read(ByteSpan dst) override;

 private:
  using Buffer = std::vector<std::byte>;

  void Run();

  std::unique_ptr<Reader> upstream_;
  const size_t buffer_size_;
  const size_t depth_;
  Buffer current_;  // being consumed; touched only by the consumer
  size_t pos_ = 0;

  Mutex mu_;
  CondVar cv_;
  std::deque<Buffer> queue_ GUARDED_BY(mu_);
  std::vector<Buffer> free_ GUARDED_BY(mu_);
  bool eof_ GUARDED_BY(mu_) = false;  // upstream ended (or failed)
  bool stopping_ GUARDED_BY(mu_) = false;
  std::exception_ptr error_ GUARDED_BY(mu_);
  std::thread worker_;
};

}  // namespace walnut
