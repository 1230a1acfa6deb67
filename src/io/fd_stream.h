#pragma once

#include <atomic>
#include <string>

#include "io/reader.h"
#include "io/writer.h"

namespace walnut {

// Reads a descriptor it does not own (standard input) sequentially. Local files are read
// through localfs/ instead. Not thread-safe.
class FdReader : public Reader {
 public:
  // With `stop`, a Read() waiting for input (an idle pipe) notices within 100 ms that *stop became
  // true and throws kCancelled; `stop` must outlive the reader.
  FdReader(int fd, std::string name, const std::atomic<bool>* stop = nullptr)
      : fd_(fd), name_(std::move(name)), stop_(stop) {}
  size_t Read(ByteSpan dst) override;

 private:
  void WaitForInput();

  int fd_;
  std::string name_;
  const std::atomic<bool>* stop_;
};

// Writes to a descriptor it does not own (standard output). Close() flushes nothing more: the
// bytes were written as they came. Abort() cannot take them back; callers that need atomicity
// write to a file through localfs/atomic_file_writer.h instead. Not thread-safe.
class FdWriter : public Writer {
 public:
  FdWriter(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  void Write(ConstByteSpan src) override;
  void Close() override {}
  void Abort() noexcept override {}

 private:
  int fd_;
  std::string name_;
};

}  // namespace walnut
