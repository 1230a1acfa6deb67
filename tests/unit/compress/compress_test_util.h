#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/error.h"
#include "io/memory_stream.h"
#include "pipeline/compress/compressor.h"
#include "support/test_util.h"

namespace walnut::testing {

// Serves a string in random pieces of 1..max_piece bytes, so decoders see input boundaries
// everywhere (inside headers, checksums, block sizes).
class ChunkyReader : public Reader {
 public:
  ChunkyReader(std::string data, size_t max_piece, uint64_t seed = 3)
      : data_(std::move(data)), max_piece_(max_piece), rng_(seed) {}
  size_t Read(ByteSpan dst) override {
    size_t n = std::min({dst.size(), data_.size() - pos_, 1 + rng_() % max_piece_});
    std::copy_n(reinterpret_cast<const std::byte*>(data_.data()) + pos_, n, dst.data());
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t max_piece_;
  std::mt19937_64 rng_;
  size_t pos_ = 0;
};

// Records what the compressor does to its downstream.
class RecordingWriter : public Writer {
 public:
  struct Log {
    std::string data;
    int closes = 0;
    int aborts = 0;
    size_t writes = 0;
  };
  explicit RecordingWriter(Log* log) : log_(log) {}
  void Write(ConstByteSpan src) override {
    log_->data.append(AsChars(src));
    ++log_->writes;
  }
  void Close() override { ++log_->closes; }
  void Abort() noexcept override { ++log_->aborts; }

 private:
  Log* log_;
};

// Compresses `data` with random-sized writes and returns what reached the downstream Writer.
inline std::string Compress(CompressionMethod method, const std::string& data,
                            size_t max_chunk = 100000, CompressionOptions options = {}) {
  RecordingWriter::Log log;
  auto writer = GetCompressor(method).WrapWriter(std::make_unique<RecordingWriter>(&log), options);
  WriteInRandomChunks(*writer, data, max_chunk);
  if (log.closes != 1 || log.aborts != 0) throw std::runtime_error("downstream not closed once");
  return log.data;
}

// Decompresses `compressed` (served whole) with random-sized reads.
inline std::string Decompress(CompressionMethod method, std::string compressed,
                              size_t max_chunk = 100000) {
  auto reader =
      GetCompressor(method).WrapReader(std::make_unique<MemoryReader>(std::move(compressed)));
  return ReadInRandomChunks(*reader, max_chunk);
}

// The code of the walnut::Error that decompressing throws; fails the test if it returns instead.
inline std::optional<ErrorCode> DecompressError(CompressionMethod method, std::string compressed,
                                                std::string* message = nullptr) {
  try {
    Decompress(method, std::move(compressed));
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return std::nullopt;
}

inline std::vector<CompressionMethod> CompressingMethods() {
  return {CompressionMethod::kLz4, CompressionMethod::kZstd, CompressionMethod::kBrotli,
          CompressionMethod::kLzma};
}

inline std::string MethodName(CompressionMethod method) {
  return std::string(CodecFor(method).name);
}

}  // namespace walnut::testing
