#include "pipeline/compress/zstd_compressor.h"

#include <fmt/format.h>
#include <zstd.h>

#include "common/error.h"
#include "pipeline/compress/c_handle.h"
#include "pipeline/compress/codec_writer.h"
#include "pipeline/compress/frame_sequence_reader.h"

namespace walnut {
namespace {

using CompressionContext = CHandle<ZSTD_CCtx, &ZSTD_freeCCtx>;
using DecompressionContext = CHandle<ZSTD_DCtx, &ZSTD_freeDCtx>;

constexpr int kDefaultLevel = 3;
// Output is collected up to this size (two zstd blocks) before it goes downstream; the async
// stage below gathers it into larger buffers anyway, so more would only cost memory.
constexpr size_t kOutputBufferSize = 256_KiB;
constexpr size_t kInputBufferSize = 256_KiB;

size_t CheckZstd(size_t result, const char* call) {
  if (ZSTD_isError(result)) {
    throw Error(ErrorCode::kInternal,
                fmt::format("zstd: {} failed: {}", call, ZSTD_getErrorName(result)));
  }
  return result;
}

class ZstdWriter final : public CodecWriter {
 public:
  ZstdWriter(std::unique_ptr<Writer> next, int level)
      : CodecWriter(std::move(next), "zstd"),
        context_(ZSTD_createCCtx()),
        output_(std::make_unique_for_overwrite<std::byte[]>(kOutputBufferSize)) {
    if (!context_) throw Error(ErrorCode::kInternal, "zstd: ZSTD_createCCtx failed: out of memory");
    CheckZstd(ZSTD_CCtx_setParameter(context_.get(), ZSTD_c_compressionLevel, level),
              "ZSTD_CCtx_setParameter(compressionLevel)");
    // As the zstd CLI and klauspost's encoder: a checksum lets readers detect corruption.
    CheckZstd(ZSTD_CCtx_setParameter(context_.get(), ZSTD_c_checksumFlag, 1),
              "ZSTD_CCtx_setParameter(checksumFlag)");
  }

 private:
  void Encode(ConstByteSpan src) override {
    ZSTD_inBuffer in{src.data(), src.size(), 0};
    while (in.pos < in.size) {
      ZSTD_outBuffer out = OutputSpace();
      CheckZstd(ZSTD_compressStream2(context_.get(), &out, &in, ZSTD_e_continue),
                "ZSTD_compressStream2");
      pending_ = out.pos;
    }
  }

  void Finish() override {
    ZSTD_inBuffer in{nullptr, 0, 0};
    size_t remaining;
    do {
      ZSTD_outBuffer out = OutputSpace();
      remaining = CheckZstd(ZSTD_compressStream2(context_.get(), &out, &in, ZSTD_e_end),
                            "ZSTD_compressStream2");
      pending_ = out.pos;
    } while (remaining != 0);
    FlushOutput();
  }

  // The free part of the output buffer, flushing it downstream first when it is full.
  ZSTD_outBuffer OutputSpace() {
    if (pending_ == kOutputBufferSize) FlushOutput();
    return ZSTD_outBuffer{output_.get(), kOutputBufferSize, pending_};
  }

  void FlushOutput() {
    if (pending_ == 0) return;
    next().Write(ConstByteSpan(output_.get(), pending_));
    pending_ = 0;
  }

  CompressionContext context_;
  std::unique_ptr<std::byte[]> output_;
  size_t pending_ = 0;  // bytes at the start of output_ not written downstream yet
};

class ZstdReader final : public FrameSequenceReader {
 public:
  explicit ZstdReader(std::unique_ptr<Reader> next)
      : FrameSequenceReader(std::move(next), kInputBufferSize, "zstd"),
        context_(ZSTD_createDCtx()) {
    if (!context_) throw Error(ErrorCode::kInternal, "zstd: ZSTD_createDCtx failed: out of memory");
  }

 private:
  // One ZSTD_decompressStream call over the buffered input; returns the bytes decoded into dst.
  size_t Decode(ByteSpan dst) override {
    ZSTD_inBuffer in{input().data(), input().size(), 0};
    ZSTD_outBuffer out{dst.data(), dst.size(), 0};
    size_t result = ZSTD_decompressStream(context_.get(), &out, &in);
    if (ZSTD_isError(result)) {
      throw Error(ErrorCode::kCorruption,
                  fmt::format("zstd: cannot decode the stream ({}); the object is corrupt or not "
                              "zstd data",
                              ZSTD_getErrorName(result)));
    }
    if (in.pos == 0 && out.pos == 0 && in.size != 0) {
      // Cannot happen with a sane libzstd; guards against spinning forever.
      throw Error(ErrorCode::kInternal, "zstd: ZSTD_decompressStream made no progress");
    }
    Consume(in.pos);
    // 0 means a frame ended and is fully flushed; the context then expects a new frame.
    set_in_frame(result != 0);
    return out.pos;
  }

  DecompressionContext context_;
};

}  // namespace

std::unique_ptr<Writer> ZstdCompressor::WrapWriter(std::unique_ptr<Writer> next,
                                                   const CompressionOptions& options) const {
  int level = options.level.value_or(kDefaultLevel);
  if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("zstd: compression level {} is out of range [{}, {}]", level,
                            ZSTD_minCLevel(), ZSTD_maxCLevel()));
  }
  return std::make_unique<ZstdWriter>(std::move(next), level);
}

std::unique_ptr<Reader> ZstdCompressor::WrapReader(std::unique_ptr<Reader> next) const {
  return std::make_unique<ZstdReader>(std::move(next));
}

}  // namespace walnut
