// Feeds arbitrary bytes to every decompressor: the first byte picks the method, the read size and
// whether upstream hands the bytes over one at a time; the rest is the compressed stream. Any
// outcome but walnut::Error (a crash, a sanitizer report, another exception, a hang) is a bug.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "common/error.h"
#include "io/memory_stream.h"
#include "pipeline/compress/compressor.h"

namespace {

// Hands out one byte per Read, so decoders are cut at every possible input boundary.
class ByteAtATimeReader : public walnut::Reader {
 public:
  explicit ByteAtATimeReader(std::string data) : data_(std::move(data)) {}
  size_t Read(walnut::ByteSpan dst) override {
    if (dst.empty() || pos_ == data_.size()) return 0;
    std::memcpy(dst.data(), data_.data() + pos_++, 1);
    return 1;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

constexpr std::array kMethods = {walnut::CompressionMethod::kLz4, walnut::CompressionMethod::kZstd,
                                 walnut::CompressionMethod::kBrotli,
                                 walnut::CompressionMethod::kLzma,
                                 walnut::CompressionMethod::kNone};
constexpr std::array<size_t, 4> kReadSizes = {1, 7, 4096, 300000};
// Stops decompression bombs from turning into slow inputs; far above what small inputs decode to
// legitimately except by design (RLE blocks).
constexpr size_t kMaxOutput = 64 << 20;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const walnut::Compressor& compressor = walnut::GetCompressor(kMethods[data[0] % kMethods.size()]);
  size_t choice = data[0] / kMethods.size();
  size_t read_size = kReadSizes[choice % kReadSizes.size()];
  bool byte_at_a_time = (choice / kReadSizes.size()) % 2 == 1;

  std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::unique_ptr<walnut::Reader> upstream;
  if (byte_at_a_time) {
    upstream = std::make_unique<ByteAtATimeReader>(std::move(input));
  } else {
    upstream = std::make_unique<walnut::MemoryReader>(std::move(input));
  }
  try {
    std::unique_ptr<walnut::Reader> reader = compressor.WrapReader(std::move(upstream));
    auto buffer = std::make_unique<std::byte[]>(read_size);
    size_t total = 0;
    while (size_t n = reader->Read(walnut::ByteSpan(buffer.get(), read_size))) {
      if (n > read_size) __builtin_trap();  // a decoder wrote past what it was given
      total += n;
      if (total > kMaxOutput) break;
    }
  } catch (const walnut::Error& e) {
    // Errors while decoding are the expected outcome of garbage; they must say corruption.
    if (e.code() != walnut::ErrorCode::kCorruption) __builtin_trap();
  }
  return 0;
}
