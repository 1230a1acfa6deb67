#include "pipeline/compress/lzma_compressor.h"

#include <cstdint>

#include <fmt/format.h>
#include <lzma.h>

#include "common/error.h"
#include "pipeline/compress/codec_reader.h"
#include "pipeline/compress/codec_writer.h"

namespace walnut {
namespace {

constexpr int kDefaultPreset = 6;  // 8 MiB dictionary, lc3 lp0 pb2: ulikunitz/xz/lzma defaults
constexpr int kMaxPreset = 9;
// A header names the dictionary size the decoder allocates; this bounds what a corrupt header can
// make us allocate while reading every dictionary any encoder preset uses (at most 64 MiB).
constexpr uint64_t kDecoderMemoryLimit = uint64_t{1} << 30;
constexpr size_t kOutputBufferSize = 1_MiB;
constexpr size_t kInputBufferSize = 256_KiB;

const char* LzmaErrorName(lzma_ret ret) {
  switch (ret) {
    case LZMA_MEM_ERROR:
      return "out of memory";
    case LZMA_MEMLIMIT_ERROR:
      return "memory limit reached";
    case LZMA_FORMAT_ERROR:
      return "not an .lzma header";
    case LZMA_OPTIONS_ERROR:
      return "unsupported options";
    case LZMA_DATA_ERROR:
      return "corrupt data";
    case LZMA_BUF_ERROR:
      return "unexpected end of input";
    case LZMA_PROG_ERROR:
      return "programming error";
    default:
      return "unknown error";
  }
}

// An lzma_stream that lzma_end()s itself.
class LzmaStream {
 public:
  LzmaStream() = default;
  ~LzmaStream() { lzma_end(&stream_); }
  LzmaStream(const LzmaStream&) = delete;
  LzmaStream& operator=(const LzmaStream&) = delete;
  lzma_stream* get() { return &stream_; }

 private:
  lzma_stream stream_ = LZMA_STREAM_INIT;
};

class LzmaWriter final : public CodecWriter {
 public:
  LzmaWriter(std::unique_ptr<Writer> next, int preset)
      : CodecWriter(std::move(next), "lzma"),
        output_(std::make_unique_for_overwrite<std::byte[]>(kOutputBufferSize)) {
    lzma_options_lzma options;
    if (lzma_lzma_preset(&options, static_cast<uint32_t>(preset))) {
      throw Error(ErrorCode::kInternal, fmt::format("lzma: lzma_lzma_preset({}) failed", preset));
    }
    lzma_ret ret = lzma_alone_encoder(stream_.get(), &options);
    if (ret != LZMA_OK) {
      throw Error(ErrorCode::kInternal,
                  fmt::format("lzma: lzma_alone_encoder failed: {}", LzmaErrorName(ret)));
    }
  }

 private:
  void Encode(ConstByteSpan src) override {
    lzma_stream* s = stream_.get();
    s->next_in = reinterpret_cast<const uint8_t*>(src.data());
    s->avail_in = src.size();
    while (s->avail_in > 0) Step(LZMA_RUN);
  }

  void Finish() override {
    lzma_stream* s = stream_.get();
    s->next_in = nullptr;
    s->avail_in = 0;
    while (Step(LZMA_FINISH) != LZMA_STREAM_END) {
    }
    FlushOutput();
  }

  // One lzma_code call into the free part of the output buffer.
  lzma_ret Step(lzma_action action) {
    if (pending_ == kOutputBufferSize) FlushOutput();
    lzma_stream* s = stream_.get();
    s->next_out = reinterpret_cast<uint8_t*>(output_.get() + pending_);
    s->avail_out = kOutputBufferSize - pending_;
    lzma_ret ret = lzma_code(s, action);
    pending_ = kOutputBufferSize - s->avail_out;
    if (ret != LZMA_OK && ret != LZMA_STREAM_END) {
      throw Error(ErrorCode::kInternal,
                  fmt::format("lzma: lzma_code failed: {}", LzmaErrorName(ret)));
    }
    return ret;
  }

  void FlushOutput() {
    if (pending_ == 0) return;
    next().Write(ConstByteSpan(output_.get(), pending_));
    pending_ = 0;
  }

  LzmaStream stream_;
  std::unique_ptr<std::byte[]> output_;
  size_t pending_ = 0;  // bytes at the start of output_ not written downstream yet
};

class LzmaReader final : public CodecReader {
 public:
  explicit LzmaReader(std::unique_ptr<Reader> next)
      : CodecReader(std::move(next), kInputBufferSize) {
    lzma_ret ret = lzma_alone_decoder(stream_.get(), kDecoderMemoryLimit);
    if (ret != LZMA_OK) {
      throw Error(ErrorCode::kInternal,
                  fmt::format("lzma: lzma_alone_decoder failed: {}", LzmaErrorName(ret)));
    }
  }

  size_t Read(ByteSpan dst) override {
    if (dst.empty() || ended_) return 0;
    lzma_stream* s = stream_.get();
    while (true) {
      if (input().empty()) Refill();
      s->next_in = reinterpret_cast<const uint8_t*>(input().data());
      s->avail_in = input().size();
      s->next_out = reinterpret_cast<uint8_t*>(dst.data());
      s->avail_out = dst.size();
      // LZMA_FINISH once upstream ended, so that a stream cut short fails instead of waiting.
      lzma_ret ret = lzma_code(s, upstream_ended() ? LZMA_FINISH : LZMA_RUN);
      size_t consumed = input().size() - s->avail_in;
      Consume(consumed);
      size_t produced = dst.size() - s->avail_out;
      switch (ret) {
        case LZMA_OK:
          if (produced > 0) return produced;
          if (upstream_ended() && consumed == 0) ThrowTruncated();
          break;
        case LZMA_STREAM_END:
          // The format has no framing to continue with: anything after its end is garbage.
          ended_ = true;
          if (!NothingLeft()) {
            throw Error(ErrorCode::kCorruption,
                        "lzma: unexpected data after the end of the stream; the object is corrupt");
          }
          return produced;
        case LZMA_BUF_ERROR:
          ThrowTruncated();
        case LZMA_MEMLIMIT_ERROR:
          throw Error(ErrorCode::kCorruption,
                      fmt::format("lzma: decoding needs {} MiB of memory (the dictionary size "
                                  "in the header), over the {} MiB limit; the object is corrupt "
                                  "or was written with unusual options",
                                  lzma_memusage(s) >> 20, kDecoderMemoryLimit >> 20));
        default:
          throw Error(ErrorCode::kCorruption,
                      fmt::format("lzma: cannot decode the stream ({}); the object is corrupt or "
                                  "not .lzma data",
                                  LzmaErrorName(ret)));
      }
    }
  }

 private:
  [[noreturn]] static void ThrowTruncated() {
    throw Error(ErrorCode::kCorruption,
                "lzma: the stream ends before its end marker; the object is truncated");
  }

  LzmaStream stream_;
  bool ended_ = false;
};

}  // namespace

std::unique_ptr<Writer> LzmaCompressor::WrapWriter(std::unique_ptr<Writer> next,
                                                   const CompressionOptions& options) const {
  int preset = options.level.value_or(kDefaultPreset);
  if (preset < 0 || preset > kMaxPreset) {
    throw Error(
        ErrorCode::kInvalidArgument,
        fmt::format("lzma: compression level {} is out of range [0, {}]", preset, kMaxPreset));
  }
  return std::make_unique<LzmaWriter>(std::move(next), preset);
}

std::unique_ptr<Reader> LzmaCompressor::WrapReader(std::unique_ptr<Reader> next) const {
  return std::make_unique<LzmaReader>(std::move(next));
}

}  // namespace walnut
