#pragma once

#include <atomic>
#include <string>

#include "io/reader.h"
#include "io/writer.h"

namespace walnut {

// Reads a local file (or any file descriptor) sequentially. Not thread-safe.
class FdReader : public Reader {
 public:
  // Opens `path` for reading; throws kNotFound / kPermissionDenied / kIo naming the path.
  static std::unique_ptr<FdReader> Open(const std::string& path);
  // Reads a descriptor it does not own (standard input). With `stop`, a Read() waiting for input
  // (an idle pipe) notices within 100 ms that *stop became true and throws kCancelled; `stop`
  // must outlive the reader.
  FdReader(int fd, std::string name, bool owned, const std::atomic<bool>* stop = nullptr);
  ~FdReader() override;
  size_t Read(ByteSpan dst) override;

 private:
  void WaitForInput();

  int fd_;
  std::string name_;
  bool owned_;
  const std::atomic<bool>* stop_;
};

// Writes to a descriptor it does not own (standard output). Close() flushes nothing more: the
// bytes were written as they came. Abort() cannot take them back; callers that need atomicity
// write to a file through storage/fs instead. Not thread-safe.
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
