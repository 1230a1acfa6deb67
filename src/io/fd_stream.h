#pragma once

#include <string>

#include "io/reader.h"
#include "io/writer.h"

namespace walnut {

// Reads a descriptor it does not own (standard input) sequentially. Local files are read
// through localfs/ instead. Not thread-safe.
class FdReader : public Reader {
 public:
  FdReader(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  size_t Read(ByteSpan dst) override;

 private:
  int fd_;
  std::string name_;
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
