#pragma once

#include <string>

#include "io/reader.h"
#include "io/writer.h"

namespace walnut {

// Reads a string it owns. Not thread-safe.
class MemoryReader : public Reader {
 public:
  explicit MemoryReader(std::string data) : data_(std::move(data)) {}
  size_t Read(ByteSpan dst) override;

 private:
  std::string data_;
  size_t pos_ = 0;
};

// Collects everything written into a string, visible through `committed()` only after Close().
// Meant for small objects (metadata) and tests. Not thread-safe.
class MemoryWriter : public Writer {
 public:
  void Write(ConstByteSpan src) override;
  void Close() override;
  void Abort() noexcept override;

  bool closed() const { return closed_; }
  const std::string& data() const { return data_; }

 private:
  std::string data_;
  bool closed_ = false;
};

}  // namespace walnut
