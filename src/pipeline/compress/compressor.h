#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "io/reader.h"
#include "io/writer.h"

namespace walnut {

// The compressions WAL-G writes (WAL-G's internal/compression/). kNone stores bytes as they are.
enum class CompressionMethod { kNone, kLz4, kZstd, kBrotli, kLzma };

struct CompressionOptions {
  // The codec's own level scale (zstd -131072..22, brotli 0..11, lzma preset 0..9, lz4 frame
  // level: 0 fast, negative faster, 3..12 HC). nullopt is WAL-G's default for the method.
  std::optional<int> level;
  // lz4 only: the frame's largest block, which is what its writer buffers (twice). 0 is 4 MiB, the
  // lz4 tool's and WAL-G's; others are rounded up to 64 KiB, 256 KiB or 1 MiB. Every lz4 reader
  // accepts any; small objects such as WAL segments lose nothing by smaller blocks (lz4 matches
  // only within 64 KiB).
  size_t lz4_block_size = 0;
};

// A compression format: wraps writers to compress and readers to decompress. Implementations are
// stateless singletons (see Codecs). Thread-safe.
class Compressor {
 public:
  virtual ~Compressor() = default;

  // Returns a Writer that compresses into `next` and owns it. Close() writes the end of the stream
  // and then closes `next`; Abort() (or destruction without Close) aborts `next`.
  // Throws kInvalidArgument for a level outside the codec's range.
  virtual std::unique_ptr<Writer> WrapWriter(std::unique_ptr<Writer> next,
                                             const CompressionOptions& options = {}) const = 0;
  // Returns a Reader that decompresses `next` and owns it, in bounded memory. Read() throws
  // kCorruption ("<codec>: ...") for bytes that do not decode, a stream that ends before its end
  // of frame (also an empty one) and data after the end of the stream.
  virtual std::unique_ptr<Reader> WrapReader(std::unique_ptr<Reader> next) const = 0;
};

// A level name WAL-G accepts for a codec's level setting ("fastest" for zstd level 1).
struct NamedLevel {
  std::string_view name;
  int level;
};

// One compression method: the single place that gives its name, extension, levels and settings.
// Setting validation and messages (pipeline/pipeline_settings.cc) and the decoder probe order
// (FindCompressedObject) derive from the table.
struct Codec {
  CompressionMethod method;
  std::string_view name;       // the WALG_COMPRESSION_METHOD value: "lz4", "zstd", ...
  std::string_view extension;  // the object name extension without the dot; "" for none
  // The setting that chooses the level ("WALG_ZSTD_LEVEL"); "" when the level is fixed.
  std::string_view level_setting;
  std::span<const NamedLevel> level_names;  // WAL-G's names for levels of `level_setting`
  int min_level = 0, max_level = 0;         // numeric levels `level_setting` accepts
  const Compressor* compressor;
};

// Every codec, in WAL-G's decoder probe order (lz4, lzma, zstd, brotli, none). Lives for the whole
// program.
std::span<const Codec> Codecs();

// The codec of `method`.
const Codec& CodecFor(CompressionMethod method);

// The compressor of `method`; lives for the whole program.
const Compressor& GetCompressor(CompressionMethod method);

// Extensions of compressions WAL-G (or WAL-E) wrote that Walnut cannot decode: "gz", "lzo", ...
std::span<const std::string_view> UndecodableExtensions();

// Parses a WALG_COMPRESSION_METHOD value ("lz4", "zstd", "brotli", "lzma", "none"; exact, lower
// case as WAL-G). nullopt for anything else.
std::optional<CompressionMethod> CompressionMethodFromName(std::string_view name);

// Maps an object name extension without the dot ("lz4", "zst", "br", "lzma"; "" is none) to its
// method. nullopt for anything else, including formats Walnut does not decode (gz, lzo).
std::optional<CompressionMethod> CompressionMethodFromExtension(std::string_view extension);

}  // namespace walnut
