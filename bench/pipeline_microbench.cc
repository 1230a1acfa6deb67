// In-process companion to bench/pipeline.sh: pushes the same in-memory data through each codec's
// library called directly (the floor any wrapper can reach) and through Walnut's codec writers and
// readers, with and without the libsodium crypter. No process start-up, file system or other
// processes' I/O is involved, so the difference between the "Library" and "Walnut" rows is what
// Walnut's own layers cost. Data: the file named by WALNUT_BENCH_INPUT (its first
// WALNUT_BENCH_INPUT_MB MiB, default 64), else a generated mix that compresses about 2.5x.
//
// Run: build-bench/bench/pipeline_microbench --benchmark_min_time=1x (see bench/README.md).

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <brotli/decode.h>
#include <brotli/encode.h>
#include <fmt/format.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zstd.h>

#include "common/bytes.h"
#include "common/error.h"
#include "io/copy.h"
#include "io/reader.h"
#include "io/writer.h"
#include "pipeline/compress/compressor.h"
#include "pipeline/crypto/sodium_crypter.h"
#include "pipeline/crypto/sodium_key.h"

namespace walnut {
namespace {

constexpr size_t kChunk = kDefaultCopyBufferSize;  // what Copy() hands each layer
constexpr size_t kLzmaInputLimit = 8_MiB;          // lzma runs at a few MB/s

// Reads a span it does not own. Not thread-safe.
class SpanReader final : public Reader {
 public:
  explicit SpanReader(ConstByteSpan data) : data_(data) {}
  size_t Read(ByteSpan dst) override {
    size_t n = std::min(dst.size(), data_.size() - pos_);
    std::memcpy(dst.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  ConstByteSpan data_;
  size_t pos_ = 0;
};

// Counts the bytes written and drops them; optionally keeps them. Not thread-safe.
class SinkWriter final : public Writer {
 public:
  explicit SinkWriter(std::string* keep = nullptr, size_t* count = nullptr)
      : keep_(keep), count_(count) {}
  void Write(ConstByteSpan src) override {
    if (keep_) keep_->append(AsChars(src));
    if (count_) *count_ += src.size();
  }
  void Close() override {}
  void Abort() noexcept override {}

 private:
  std::string* keep_;
  size_t* count_;
};

// Table rows with a random token per row (about 3x with zstd -3), one pseudo-random 128 KiB
// block per MiB: the shape of bench/pipeline.sh's "mixed" data set.
std::string GenerateMixed(size_t size) {
  static constexpr std::array<const char*, 6> kStatus = {"active",   "pending",   "shipped",
                                                         "returned", "cancelled", "on_hold"};
  static constexpr std::array<const char*, 8> kNames = {"alice", "bob",   "carol", "dave",
                                                        "erin",  "frank", "grace", "heidi"};
  std::mt19937_64 rng(20240229);
  std::string out;
  out.reserve(size + 256);
  uint64_t t = 1700000000;
  for (uint64_t i = 1; out.size() < size; ++i) {
    if (out.size() % 1_MiB > 896_KiB) {
      for (size_t k = 0; k < 128_KiB / 8 && out.size() < size; ++k) {
        uint64_t r = rng();
        out.append(reinterpret_cast<const char*>(&r), sizeof r);
      }
      continue;
    }
    t += rng() % 30;
    out += fmt::format("{}\t{}\t{}\t{}.{}{}@example.com\t{}.{:02}\t{:012x}\tnote: item {}\n", i,
                       kStatus[rng() % kStatus.size()], t, kNames[rng() % kNames.size()],
                       kNames[rng() % kNames.size()], rng() % 1000, rng() % 10000, rng() % 100,
                       rng() & 0xffffffffffff, rng() % 500);
  }
  out.resize(size);
  return out;
}

const std::string& Input() {
  static const std::string data = [] {
    size_t limit = 64_MiB;
    if (const char* mb = std::getenv("WALNUT_BENCH_INPUT_MB")) limit = std::stoull(mb) * 1_MiB;
    const char* path = std::getenv("WALNUT_BENCH_INPUT");
    if (path == nullptr || *path == '\0') return GenerateMixed(limit);
    std::ifstream in(path, std::ios::binary);
    if (!in)
      throw Error(ErrorCode::kNotFound,
                  fmt::format("WALNUT_BENCH_INPUT {} cannot be opened", path));
    std::string bytes(limit, '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(limit));
    bytes.resize(static_cast<size_t>(in.gcount()));
    if (bytes.empty())
      throw Error(ErrorCode::kInvalidArgument, fmt::format("WALNUT_BENCH_INPUT {} is empty", path));
    return bytes;
  }();
  return data;
}

ConstByteSpan InputFor(CompressionMethod method) {
  ConstByteSpan all = AsBytes(Input());
  return method == CompressionMethod::kLzma ? all.first(std::min(all.size(), kLzmaInputLimit))
                                            : all;
}

std::shared_ptr<const Crypter> TestCrypter() {
  std::array<unsigned char, SodiumKey::kSize> bytes{};
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(i);
  return std::make_shared<SodiumCrypter>(SodiumKey(bytes));
}

void Check(bool ok, const char* what) {
  if (!ok) throw Error(ErrorCode::kInternal, fmt::format("microbench: {} failed", what));
}

// --- the libraries called directly, with Walnut's parameters, kChunk bytes per call -------------

// Reads `src` the way the codec's command-line tool does (chunk bytes at a time, copied into a
// staging buffer as read() would) and compresses it with the library; returns the output size.
size_t LibraryCompress(CompressionMethod method, ConstByteSpan src, std::vector<std::byte>& out) {
  size_t total = 0;
  // The lz4 CLI reads whole 4 MiB blocks, so LZ4F compresses straight from its buffer.
  size_t read_size = method == CompressionMethod::kLz4 ? 4_MiB : kChunk;
  std::vector<std::byte> staging(read_size);
  auto stage = [&](size_t pos) {
    size_t n = std::min(read_size, src.size() - pos);
    std::memcpy(staging.data(), src.data() + pos, n);
    return ConstByteSpan(staging.data(), n);
  };
  switch (method) {
    case CompressionMethod::kNone: {
      for (size_t pos = 0; pos < src.size(); pos += read_size) total += stage(pos).size();
      return total;
    }
    case CompressionMethod::kLz4: {
      LZ4F_cctx* cctx = nullptr;
      Check(!LZ4F_isError(LZ4F_createCompressionContext(&cctx, LZ4F_VERSION)), "LZ4F context");
      LZ4F_preferences_t prefs{};
      prefs.frameInfo.blockSizeID = LZ4F_max4MB;
      prefs.frameInfo.blockMode = LZ4F_blockIndependent;
      prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
      size_t cap = out.size();
      total += LZ4F_compressBegin(cctx, out.data(), cap, &prefs);
      for (size_t pos = 0; pos < src.size(); pos += read_size) {
        ConstByteSpan chunk = stage(pos);
        size_t r = LZ4F_compressUpdate(cctx, out.data(), cap, chunk.data(), chunk.size(), nullptr);
        Check(!LZ4F_isError(r), "LZ4F_compressUpdate");
        total += r;
      }
      total += LZ4F_compressEnd(cctx, out.data(), cap, nullptr);
      LZ4F_freeCompressionContext(cctx);
      return total;
    }
    case CompressionMethod::kZstd: {
      ZSTD_CCtx* cctx = ZSTD_createCCtx();
      ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
      ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
      auto step = [&](ZSTD_inBuffer& in, ZSTD_EndDirective directive) {
        ZSTD_outBuffer o{out.data(), out.size(), 0};
        size_t r = ZSTD_compressStream2(cctx, &o, &in, directive);
        Check(!ZSTD_isError(r), "ZSTD_compressStream2");
        total += o.pos;
        return r;
      };
      for (size_t pos = 0; pos < src.size(); pos += read_size) {
        ConstByteSpan chunk = stage(pos);
        ZSTD_inBuffer in{chunk.data(), chunk.size(), 0};
        while (in.pos < in.size) step(in, ZSTD_e_continue);
      }
      ZSTD_inBuffer none{nullptr, 0, 0};
      while (step(none, ZSTD_e_end) != 0) {
      }
      ZSTD_freeCCtx(cctx);
      return total;
    }
    case CompressionMethod::kBrotli: {
      BrotliEncoderState* s = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
      BrotliEncoderSetParameter(s, BROTLI_PARAM_QUALITY, 3);
      BrotliEncoderSetParameter(s, BROTLI_PARAM_LGWIN, BROTLI_DEFAULT_WINDOW);
      for (size_t pos = 0; pos < src.size(); pos += read_size) {
        ConstByteSpan chunk = stage(pos);
        bool last = pos + chunk.size() == src.size();
        BrotliEncoderOperation op = last ? BROTLI_OPERATION_FINISH : BROTLI_OPERATION_PROCESS;
        const auto* next_in = reinterpret_cast<const uint8_t*>(chunk.data());
        size_t avail_in = chunk.size();
        do {
          size_t avail_out = out.size();
          auto* next_out = reinterpret_cast<uint8_t*>(out.data());
          Check(BrotliEncoderCompressStream(s, op, &avail_in, &next_in, &avail_out, &next_out,
                                            nullptr),
                "BrotliEncoderCompressStream");
          total += out.size() - avail_out;
        } while (avail_in > 0 || (last && !BrotliEncoderIsFinished(s)));
      }
      BrotliEncoderDestroyInstance(s);
      return total;
    }
    case CompressionMethod::kLzma: {
      lzma_stream s = LZMA_STREAM_INIT;
      lzma_options_lzma options;
      Check(!lzma_lzma_preset(&options, 6), "lzma_lzma_preset");
      Check(lzma_alone_encoder(&s, &options) == LZMA_OK, "lzma_alone_encoder");
      lzma_ret ret = LZMA_OK;
      for (size_t pos = 0; pos < src.size() && ret == LZMA_OK; pos += read_size) {
        ConstByteSpan chunk = stage(pos);
        bool last = pos + chunk.size() == src.size();
        s.next_in = reinterpret_cast<const uint8_t*>(chunk.data());
        s.avail_in = chunk.size();
        do {
          s.next_out = reinterpret_cast<uint8_t*>(out.data());
          s.avail_out = out.size();
          ret = lzma_code(&s, last ? LZMA_FINISH : LZMA_RUN);
          total += out.size() - s.avail_out;
        } while (ret == LZMA_OK && (s.avail_in > 0 || last));
      }
      lzma_end(&s);
      Check(ret == LZMA_STREAM_END, "lzma_code");
      return total;
    }
  }
  return total;
}

// Decodes `src` with the library into a kChunk output buffer; returns the decoded size.
size_t LibraryDecompress(CompressionMethod method, ConstByteSpan src, std::vector<std::byte>& out) {
  size_t total = 0;
  switch (method) {
    case CompressionMethod::kNone:
      for (size_t pos = 0; pos < src.size(); pos += kChunk) {
        size_t n = std::min(kChunk, src.size() - pos);
        std::memcpy(out.data(), src.data() + pos, n);
        total += n;
      }
      return total;
    case CompressionMethod::kLz4: {
      LZ4F_dctx* dctx = nullptr;
      Check(!LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)), "LZ4F dctx");
      size_t pos = 0;
      size_t hint = 1;
      while (pos < src.size() && hint != 0) {
        size_t dst_size = kChunk;
        size_t src_size = src.size() - pos;
        hint = LZ4F_decompress(dctx, out.data(), &dst_size, src.data() + pos, &src_size, nullptr);
        Check(!LZ4F_isError(hint), "LZ4F_decompress");
        pos += src_size;
        total += dst_size;
      }
      LZ4F_freeDecompressionContext(dctx);
      return total;
    }
    case CompressionMethod::kZstd: {
      ZSTD_DCtx* dctx = ZSTD_createDCtx();
      ZSTD_inBuffer in{src.data(), src.size(), 0};
      size_t r = 1;
      while (r != 0) {
        ZSTD_outBuffer o{out.data(), kChunk, 0};
        r = ZSTD_decompressStream(dctx, &o, &in);
        Check(!ZSTD_isError(r), "ZSTD_decompressStream");
        total += o.pos;
      }
      ZSTD_freeDCtx(dctx);
      return total;
    }
    case CompressionMethod::kBrotli: {
      BrotliDecoderState* s = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
      size_t avail_in = src.size();
      const auto* next_in = reinterpret_cast<const uint8_t*>(src.data());
      BrotliDecoderResult r;
      do {
        size_t avail_out = kChunk;
        auto* next_out = reinterpret_cast<uint8_t*>(out.data());
        r = BrotliDecoderDecompressStream(s, &avail_in, &next_in, &avail_out, &next_out, nullptr);
        Check(r != BROTLI_DECODER_RESULT_ERROR, "BrotliDecoderDecompressStream");
        total += kChunk - avail_out;
      } while (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT);
      BrotliDecoderDestroyInstance(s);
      return total;
    }
    case CompressionMethod::kLzma: {
      lzma_stream s = LZMA_STREAM_INIT;
      Check(lzma_alone_decoder(&s, UINT64_MAX) == LZMA_OK, "lzma_alone_decoder");
      s.next_in = reinterpret_cast<const uint8_t*>(src.data());
      s.avail_in = src.size();
      lzma_ret ret;
      do {
        s.next_out = reinterpret_cast<uint8_t*>(out.data());
        s.avail_out = kChunk;
        ret = lzma_code(&s, LZMA_FINISH);
        total += kChunk - s.avail_out;
      } while (ret == LZMA_OK);
      lzma_end(&s);
      Check(ret == LZMA_STREAM_END, "lzma_code");
      return total;
    }
  }
  return total;
}

// --- benchmarks --------------------------------------------------------------------------------

void SetCounters(benchmark::State& state, size_t in_bytes, size_t out_bytes) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in_bytes));
  state.counters["ratio"] = static_cast<double>(in_bytes) / static_cast<double>(out_bytes);
}

void BM_LibraryCompress(benchmark::State& state, CompressionMethod method) {
  ConstByteSpan src = InputFor(method);
  std::vector<std::byte> out(LZ4F_compressFrameBound(4_MiB, nullptr) + 1_MiB);
  size_t size = 0;
  for (auto _ : state) benchmark::DoNotOptimize(size = LibraryCompress(method, src, out));
  SetCounters(state, src.size(), size);
}

void BM_WalnutCompress(benchmark::State& state, CompressionMethod method, bool encrypt) {
  ConstByteSpan src = InputFor(method);
  auto crypter = encrypt ? TestCrypter() : nullptr;
  size_t size = 0;
  for (auto _ : state) {
    size = 0;
    std::unique_ptr<Writer> writer = std::make_unique<SinkWriter>(nullptr, &size);
    if (crypter) writer = crypter->WrapEncrypt(std::move(writer));
    writer = GetCompressor(method).WrapWriter(std::move(writer));
    SpanReader reader(src);
    Copy(reader, *writer);
    writer->Close();
  }
  SetCounters(state, src.size(), size);
}

// The object Walnut writes for `src`, made once per benchmark.
std::string Encode(CompressionMethod method, ConstByteSpan src, const Crypter* crypter) {
  std::string stored;
  std::unique_ptr<Writer> writer = std::make_unique<SinkWriter>(&stored);
  if (crypter) writer = crypter->WrapEncrypt(std::move(writer));
  writer = GetCompressor(method).WrapWriter(std::move(writer));
  SpanReader reader(src);
  Copy(reader, *writer);
  writer->Close();
  return stored;
}

void BM_LibraryDecompress(benchmark::State& state, CompressionMethod method) {
  ConstByteSpan src = InputFor(method);
  std::string stored = Encode(method, src, nullptr);
  std::vector<std::byte> out(kChunk);
  size_t size = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(size = LibraryDecompress(method, AsBytes(stored), out));
  Check(size == src.size(), "library decompression (size)");
  SetCounters(state, src.size(), stored.size());
}

void BM_WalnutDecompress(benchmark::State& state, CompressionMethod method, bool encrypt) {
  ConstByteSpan src = InputFor(method);
  auto crypter = encrypt ? TestCrypter() : nullptr;
  std::string stored = Encode(method, src, crypter.get());
  size_t size = 0;
  for (auto _ : state) {
    size = 0;
    std::unique_ptr<Reader> reader = std::make_unique<SpanReader>(AsBytes(stored));
    if (crypter) reader = crypter->WrapDecrypt(std::move(reader));
    reader = GetCompressor(method).WrapReader(std::move(reader));
    SinkWriter sink(nullptr, &size);
    Copy(*reader, sink);
  }
  Check(size == src.size(), "walnut decompression (size)");
  SetCounters(state, src.size(), stored.size());
}

void RegisterAll() {
  for (CompressionMethod method :
       {CompressionMethod::kNone, CompressionMethod::kLz4, CompressionMethod::kZstd,
        CompressionMethod::kBrotli, CompressionMethod::kLzma}) {
    std::string name(CodecFor(method).name);
    auto unit = [](benchmark::internal::Benchmark* b) {
      b->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();
    };
    unit(benchmark::RegisterBenchmark(("compress/" + name + "/library").c_str(), BM_LibraryCompress,
                                      method));
    unit(benchmark::RegisterBenchmark(("compress/" + name + "/walnut").c_str(), BM_WalnutCompress,
                                      method, false));
    unit(benchmark::RegisterBenchmark(("compress/" + name + "/walnut+enc").c_str(),
                                      BM_WalnutCompress, method, true));
    unit(benchmark::RegisterBenchmark(("decompress/" + name + "/library").c_str(),
                                      BM_LibraryDecompress, method));
    unit(benchmark::RegisterBenchmark(("decompress/" + name + "/walnut").c_str(),
                                      BM_WalnutDecompress, method, false));
    unit(benchmark::RegisterBenchmark(("decompress/" + name + "/walnut+enc").c_str(),
                                      BM_WalnutDecompress, method, true));
  }
}

}  // namespace
}  // namespace walnut

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  try {
    walnut::RegisterAll();
    benchmark::RunSpecifiedBenchmarks();
  } catch (const walnut::Error& e) {
    std::fprintf(stderr, "pipeline_microbench: %s\n", e.what());
    return 1;
  }
  benchmark::Shutdown();
  return 0;
}
