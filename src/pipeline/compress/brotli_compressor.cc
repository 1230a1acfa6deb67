#include "pipeline/compress/brotli_compressor.h"

#include <cstdint>

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <fmt/format.h>

#include "common/error.h"
#include "pipeline/compress/c_handle.h"
#include "pipeline/compress/codec_reader.h"
#include "pipeline/compress/codec_writer.h"

namespace walnut {
namespace {

using EncoderState = CHandle<BrotliEncoderState, &BrotliEncoderDestroyInstance>;
using DecoderState = CHandle<BrotliDecoderState, &BrotliDecoderDestroyInstance>;

constexpr int kDefaultQuality = 3;  // WAL-G's cbrotli.WriterOptions{Quality: 3}
constexpr size_t kOutputBufferSize = 1_MiB;
constexpr size_t kInputBufferSize = 256_KiB;

const uint8_t* U8(const std::byte* p) { return reinterpret_cast<const uint8_t*>(p); }
uint8_t* U8(std::byte* p) { return reinterpret_cast<uint8_t*>(p); }

class BrotliWriter final : public CodecWriter {
 public:
  BrotliWriter(std::unique_ptr<Writer> next, int quality)
      : CodecWriter(std::move(next), "brotli"),
        state_(BrotliEncoderCreateInstance(nullptr, nullptr, nullptr)),
        output_(std::make_unique_for_overwrite<std::byte[]>(kOutputBufferSize)) {
    if (!state_) {
      throw Error(ErrorCode::kInternal,
                  "brotli: BrotliEncoderCreateInstance failed: out of memory");
    }
    // WAL-G leaves the window at the library default (lgwin 22, 4 MiB), as does this.
    if (!BrotliEncoderSetParameter(state_.get(), BROTLI_PARAM_QUALITY,
                                   static_cast<uint32_t>(quality)) ||
        !BrotliEncoderSetParameter(state_.get(), BROTLI_PARAM_LGWIN, BROTLI_DEFAULT_WINDOW)) {
      throw Error(ErrorCode::kInternal, "brotli: BrotliEncoderSetParameter failed");
    }
  }

 private:
  void Encode(ConstByteSpan src) override {
    size_t available_in = src.size();
    const uint8_t* next_in = U8(src.data());
    while (available_in > 0) Step(BROTLI_OPERATION_PROCESS, available_in, next_in);
  }

  void Finish() override {
    size_t available_in = 0;
    const uint8_t* next_in = nullptr;
    while (!BrotliEncoderIsFinished(state_.get())) {
      Step(BROTLI_OPERATION_FINISH, available_in, next_in);
    }
    FlushOutput();
  }

  // One BrotliEncoderCompressStream call into the free part of the output buffer.
  void Step(BrotliEncoderOperation operation, size_t& available_in, const uint8_t*& next_in) {
    if (pending_ == kOutputBufferSize) FlushOutput();
    size_t available_out = kOutputBufferSize - pending_;
    uint8_t* next_out = U8(output_.get() + pending_);
    if (!BrotliEncoderCompressStream(state_.get(), operation, &available_in, &next_in,
                                     &available_out, &next_out, nullptr)) {
      throw Error(ErrorCode::kInternal, "brotli: BrotliEncoderCompressStream failed");
    }
    pending_ = kOutputBufferSize - available_out;
  }

  void FlushOutput() {
    if (pending_ == 0) return;
    next().Write(ConstByteSpan(output_.get(), pending_));
    pending_ = 0;
  }

  EncoderState state_;
  std::unique_ptr<std::byte[]> output_;
  size_t pending_ = 0;  // bytes at the start of output_ not written downstream yet
};

class BrotliReader final : public CodecReader {
 public:
  explicit BrotliReader(std::unique_ptr<Reader> next)
      : CodecReader(std::move(next), kInputBufferSize),
        state_(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr)) {
    if (!state_) {
      throw Error(ErrorCode::kInternal,
                  "brotli: BrotliDecoderCreateInstance failed: out of memory");
    }
  }

  size_t Read(ByteSpan dst) override {
    if (dst.empty() || ended_) return 0;
    while (true) {
      size_t available_in = input().size();
      const uint8_t* next_in = U8(input().data());
      size_t available_out = dst.size();
      uint8_t* next_out = U8(dst.data());
      BrotliDecoderResult result = BrotliDecoderDecompressStream(
          state_.get(), &available_in, &next_in, &available_out, &next_out, nullptr);
      Consume(input().size() - available_in);
      size_t produced = dst.size() - available_out;
      switch (result) {
        case BROTLI_DECODER_RESULT_ERROR:
          throw Error(
              ErrorCode::kCorruption,
              fmt::format("brotli: cannot decode the stream ({}); the object is corrupt "
                          "or not brotli data",
                          BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state_.get()))));
        case BROTLI_DECODER_RESULT_SUCCESS:
          // A brotli stream has no framing to continue with: anything after its end is garbage.
          ended_ = true;
          if (!NothingLeft()) {
            throw Error(ErrorCode::kCorruption,
                        "brotli: unexpected data after the end of the stream; the object is "
                        "corrupt");
          }
          return produced;
        case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
          if (produced > 0) return produced;
          // Cannot happen with a non-empty dst; guards against spinning forever.
          throw Error(ErrorCode::kInternal, "brotli: decoder asked for output space it had");
        case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
          if (produced > 0) return produced;
          if (!Refill()) {
            throw Error(ErrorCode::kCorruption,
                        "brotli: the stream ends before its last block; the object is truncated");
          }
          break;
      }
    }
  }

 private:
  DecoderState state_;
  bool ended_ = false;
};

}  // namespace

std::unique_ptr<Writer> BrotliCompressor::WrapWriter(std::unique_ptr<Writer> next,
                                                     const CompressionOptions& options) const {
  int quality = options.level.value_or(kDefaultQuality);
  if (quality < BROTLI_MIN_QUALITY || quality > BROTLI_MAX_QUALITY) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("brotli: compression level {} is out of range [{}, {}]", quality,
                            BROTLI_MIN_QUALITY, BROTLI_MAX_QUALITY));
  }
  return std::make_unique<BrotliWriter>(std::move(next), quality);
}

std::unique_ptr<Reader> BrotliCompressor::WrapReader(std::unique_ptr<Reader> next) const {
  return std::make_unique<BrotliReader>(std::move(next));
}

}  // namespace walnut
