#include "pipeline/compress/lz4_compressor.h"

#include <algorithm>

#include <fmt/format.h>
#include <lz4frame.h>

#include "common/error.h"
#include "pipeline/compress/c_handle.h"
#include "pipeline/compress/codec_writer.h"
#include "pipeline/compress/frame_sequence_reader.h"

namespace walnut {
namespace {

using CompressionContext = CHandle<LZ4F_cctx, &LZ4F_freeCompressionContext>;
using DecompressionContext = CHandle<LZ4F_dctx, &LZ4F_freeDecompressionContext>;

constexpr size_t kDefaultBlockSize = 4_MiB;  // LZ4F_max4MB, the lz4 CLI's and pierrec/lz4's default
// Fast levels are negative (acceleration), 0 is the default fast mode; 12 is LZ4HC_CLEVEL_MAX.
constexpr int kMinLevel = -65537;
constexpr int kMaxLevel = 12;
constexpr size_t kInputBufferSize = 256_KiB;

struct BlockSize {
  LZ4F_blockSizeID_t id;
  size_t bytes;
};

// The smallest frame block size that holds `wanted` bytes (0: the default).
BlockSize ChooseBlockSize(size_t wanted) {
  constexpr BlockSize kSizes[] = {{LZ4F_max64KB, 64_KiB},
                                  {LZ4F_max256KB, 256_KiB},
                                  {LZ4F_max1MB, 1_MiB},
                                  {LZ4F_max4MB, kDefaultBlockSize}};
  if (wanted == 0) wanted = kDefaultBlockSize;
  for (const BlockSize& size : kSizes) {
    if (wanted <= size.bytes) return size;
  }
  return kSizes[3];
}

size_t CheckLz4(size_t result, const char* call) {
  if (LZ4F_isError(result)) {
    throw Error(ErrorCode::kInternal,
                fmt::format("lz4: {} failed: {}", call, LZ4F_getErrorName(result)));
  }
  return result;
}

// Compresses into one reused output buffer sized for a whole block, which goes downstream as
// soon as LZ4F produced something: no copy besides LZ4F's own buffering of partial blocks.
class Lz4Writer final : public CodecWriter {
 public:
  Lz4Writer(std::unique_ptr<Writer> next, int level, BlockSize block)
      : CodecWriter(std::move(next), "lz4"), block_size_(block.bytes) {
    LZ4F_cctx* raw = nullptr;
    CheckLz4(LZ4F_createCompressionContext(&raw, LZ4F_VERSION), "LZ4F_createCompressionContext");
    context_.reset(raw);

    LZ4F_preferences_t prefs{};
    prefs.frameInfo.blockSizeID = block.id;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    prefs.frameInfo.frameType = LZ4F_frame;
    prefs.compressionLevel = level;
    // Without autoFlush, block boundaries do not depend on how callers slice their writes.
    prefs.autoFlush = 0;

    // Room for the frame header plus whatever one block-sized update (or the end) can emit.
    capacity_ = LZ4F_HEADER_SIZE_MAX + LZ4F_compressBound(block_size_, &prefs);
    output_ = std::make_unique_for_overwrite<std::byte[]>(capacity_);
    // The header stays in the buffer and goes downstream with the first block.
    pending_ = CheckLz4(LZ4F_compressBegin(context_.get(), output_.get(), capacity_, &prefs),
                        "LZ4F_compressBegin");
  }

 private:
  void Encode(ConstByteSpan src) override {
    while (!src.empty()) {
      size_t chunk = std::min(src.size(), block_size_);
      pending_ += CheckLz4(LZ4F_compressUpdate(context_.get(), output_.get() + pending_,
                                               capacity_ - pending_, src.data(), chunk, nullptr),
                           "LZ4F_compressUpdate");
      FlushOutput();
      src = src.subspan(chunk);
    }
  }

  void Finish() override {
    pending_ += CheckLz4(
        LZ4F_compressEnd(context_.get(), output_.get() + pending_, capacity_ - pending_, nullptr),
        "LZ4F_compressEnd");
    FlushOutput();
  }

  void FlushOutput() {
    if (pending_ == 0) return;
    next().Write(ConstByteSpan(output_.get(), pending_));
    pending_ = 0;
  }

  const size_t block_size_;
  CompressionContext context_;
  std::unique_ptr<std::byte[]> output_;
  size_t capacity_ = 0;
  size_t pending_ = 0;  // bytes at the start of output_ not written downstream yet
};

class Lz4Reader final : public FrameSequenceReader {
 public:
  explicit Lz4Reader(std::unique_ptr<Reader> next)
      : FrameSequenceReader(std::move(next), kInputBufferSize, "lz4") {
    LZ4F_dctx* raw = nullptr;
    CheckLz4(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION),
             "LZ4F_createDecompressionContext");
    context_.reset(raw);
  }

 private:
  // One LZ4F_decompress call over the buffered input; returns the bytes decoded into dst.
  size_t Decode(ByteSpan dst) override {
    size_t dst_size = dst.size();
    size_t src_size = input().size();
    size_t hint =
        LZ4F_decompress(context_.get(), dst.data(), &dst_size, input().data(), &src_size, nullptr);
    if (LZ4F_isError(hint)) {
      throw Error(ErrorCode::kCorruption,
                  fmt::format("lz4: cannot decode the stream ({}); the object is corrupt or not "
                              "lz4 frame data",
                              LZ4F_getErrorName(hint)));
    }
    if (src_size == 0 && dst_size == 0 && !input().empty()) {
      // Cannot happen with a sane LZ4F; guards against spinning forever.
      throw Error(ErrorCode::kInternal, "lz4: LZ4F_decompress made no progress");
    }
    Consume(src_size);
    // A hint of 0 means a frame ended, fully flushed; the context then expects a new frame.
    set_in_frame(hint != 0);
    return dst_size;
  }

  DecompressionContext context_;
};

}  // namespace

std::unique_ptr<Writer> Lz4Compressor::WrapWriter(std::unique_ptr<Writer> next,
                                                  const CompressionOptions& options) const {
  int level = options.level.value_or(0);
  if (level < kMinLevel || level > kMaxLevel) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("lz4: compression level {} is out of range [{}, {}]", level, kMinLevel,
                            kMaxLevel));
  }
  return std::make_unique<Lz4Writer>(std::move(next), level,
                                     ChooseBlockSize(options.lz4_block_size));
}

std::unique_ptr<Reader> Lz4Compressor::WrapReader(std::unique_ptr<Reader> next) const {
  return std::make_unique<Lz4Reader>(std::move(next));
}

}  // namespace walnut
