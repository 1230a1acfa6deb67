#include "wal/wal_push_file.h"

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <zlib.h>

#include "common/error.h"
#include "common/logging.h"
#include "io/copy.h"
#include "io/digest.h"
#include "localfs/local_file_reader.h"
#include "pipeline/content_checksum.h"
#include "postgres/wal_file_name.h"
#include "postgres/wal_page_header.h"

namespace walnut {
namespace {

// Pieces the file is read in. The compressors buffer whole blocks themselves, so larger pieces
// would only add memory (the budget of one wal-push is 16 MiB in all, the binary included).
constexpr size_t kChunkSize = 256 << 10;

// zlib's CRC-32 (about 3.5 GB/s here, twice SHA-256's speed): a cheap fingerprint to notice that
// bytes changed between two reads, not a defence against tampering.
uint32_t Crc32(uint32_t crc, ConstByteSpan data) {
  return static_cast<uint32_t>(
      crc32_z(crc, reinterpret_cast<const Bytef*>(data.data()), data.size()));
}

// What one pass over the file tells: its digest, a cheap fingerprint of the same bytes (to
// notice a change on the second read without hashing twice) and its first bytes.
struct FileScan {
  Digest digest;
  uint32_t crc32 = 0;
  std::array<std::byte, pg::kWalLongPageHeaderSize> head{};
  size_t head_size = 0;
};

FileScan ScanFile(LocalFs& fs, const std::string& path) {
  auto reader = OpenFileReader(fs, path);
  std::vector<std::byte> buffer(kChunkSize);
  Sha256Hasher hasher;
  FileScan scan;
  while (size_t n = reader->Read(buffer)) {
    size_t take = std::min(n, scan.head.size() - scan.head_size);
    std::copy_n(buffer.begin(), take, scan.head.begin() + static_cast<ptrdiff_t>(scan.head_size));
    scan.head_size += take;
    ConstByteSpan piece(buffer.data(), n);
    hasher.Update(piece);
    scan.crc32 = Crc32(scan.crc32, piece);
  }
  scan.digest = hasher.Finish();
  return scan;
}

// Passes a file's bytes on while fingerprinting them as ScanFile does.
class FingerprintingReader final : public Reader {
 public:
  explicit FingerprintingReader(std::unique_ptr<Reader> next) : next_(std::move(next)) {}

  size_t Read(ByteSpan dst) override {
    size_t n = next_->Read(dst);
    ConstByteSpan piece(dst.data(), n);
    crc32_ = Crc32(crc32_, piece);
    size_ += n;
    return n;
  }

  uint32_t crc32() const { return crc32_; }
  uint64_t size() const { return size_; }

 private:
  std::unique_ptr<Reader> next_;
  uint32_t crc32_ = 0;
  uint64_t size_ = 0;
};

// Refuses a segment that is not what its name says. Returns its header.
pg::WalLongPageHeader CheckSegment(const std::string& path, std::string_view name,
                                   const FileScan& scan, uint64_t segment_size) {
  auto refuse = [&](const std::string& why) {
    return Error(ErrorCode::kCorruption, fmt::format("{}: {}; refusing to archive it", path, why));
  };
  if (scan.digest.size != segment_size) {
    throw refuse(fmt::format("it is {} bytes, but WAL segments are {} bytes (WALG_PG_WAL_SIZE)",
                             scan.digest.size, segment_size));
  }
  auto header = pg::ParseWalLongPageHeader(ConstByteSpan(scan.head.data(), scan.head_size));
  if (!header) {
    throw refuse("it does not start with a WAL long page header of a known PostgreSQL version");
  }
  auto segment = pg::ParseWalFileName(name, segment_size);
  if (!segment) throw refuse(fmt::format("'{}' names no WAL segment", name));
  std::string mismatch = pg::WalHeaderMismatch(*header, *segment, segment_size);
  if (!mismatch.empty()) {
    throw refuse(fmt::format("its WAL page header does not match its name ({})", mismatch));
  }
  return *header;
}

// The digest of an archived object's decoded content (compared with the file's, so an object
// without a recorded SHA-256 needs no warning).
Digest DigestOfObject(const Folder& folder, const std::string& object,
                      const PipelineOptions& pipeline) {
  DownloadOptions download;
  download.on_unverified = [](const std::string&, const std::string&) {};
  auto reader = MakeDownloadReader(folder, object, pipeline, download);
  std::vector<std::byte> buffer(kChunkSize);
  Sha256Hasher hasher;
  while (size_t n = reader->Read(buffer)) hasher.Update(ConstByteSpan(buffer.data(), n));
  return hasher.Finish();
}

// Whether the archived `object` holds the content of `digest`; nullopt when it vanished.
std::optional<bool> SameContent(const Folder& folder, const std::string& object,
                                const Digest& digest, const PipelineOptions& pipeline,
                                std::string_view name) {
  auto info = folder.Stat(object);
  if (!info) return std::nullopt;
  auto checksum = info->metadata.find(kContentSha256Metadata);
  if (checksum != info->metadata.end()) return checksum->second == digest.Hex();
  // Written by WAL-G, or by a backend that could not keep metadata: compare the content itself.
  try {
    return DigestOfObject(folder, object, pipeline) == digest;
  } catch (const Error& e) {
    throw Error(ErrorCode::kAlreadyExists,
                fmt::format("WAL file '{}' already archived in {} as {}, and it cannot be read "
                            "back to compare ({}); unable to overwrite it",
                            name, folder.storage().Describe(), folder.Key(object), e.what()));
  }
}

void Upload(LocalFs& fs, const Folder& folder, const std::string& object, const std::string& path,
            const FileScan& scan, const PipelineOptions& pipeline) {
  PutOptions put;
  put.metadata[kContentSha256Metadata] = scan.digest.Hex();
  auto writer = MakeUploadWriter(folder, object, pipeline, put);
  // The digest in the metadata is the first read's; a file that changed since would be stored
  // under a wrong checksum. Fingerprinting the second read shows that (CRC-32: hashing with
  // SHA-256 again would cost a fifth of the push's CPU).
  FingerprintingReader reader(OpenFileReader(fs, path));
  Copy(reader, *writer, kChunkSize);
  if (reader.size() != scan.digest.size || reader.crc32() != scan.crc32) {
    writer->Abort();
    throw Error(ErrorCode::kCorruption,
                fmt::format("{} changed while it was being archived; nothing was stored", path));
  }
  writer->Close();
}

// WAL-G archives any file it is given, and scripts push their own files next to the WAL: so does
// Walnut, with a warning, as long as the object can be read back as what was pushed.
void CheckOtherFile(const std::string& path, std::string_view name, CompressionMethod method) {
  if (name.empty() || name == "." || name == "..") {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("'{}' names no file to archive: wal-push takes the path of a file "
                            "(%p)",
                            path));
  }
  if (method == CompressionMethod::kNone) {
    // Stored under its own name, the object would be decoded by that name's extension.
    bool misread = true;
    try {
      misread = CompressionFromObjectName(name) != CompressionMethod::kNone;
    } catch (const Error&) {
    }
    if (misread) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: with WALG_COMPRESSION_METHOD=none it would be stored as "
                              "wal_005/{}, which reads back as compressed by its extension; "
                              "rename it or set a compression method",
                              path, name));
    }
  }
  spdlog::warn(
      "{} is not a WAL file (a segment, .partial, .history or .backup file): archiving it as "
      "WAL-G does, compressed and encrypted as configured, but without the checks WAL gets "
      "(size, page header, database system)",
      path);
}

}  // namespace

WalPushOutcome PushWalFile(LocalFs& fs, const Folder& wal_folder, const std::filesystem::path& path,
                           const WalPushFileOptions& options, ArchiveIdentityGuard& identity) {
  const std::string name = path.filename().string();
  const std::string path_string = path.string();
  pg::WalFileKind kind = pg::ClassifyWalFileName(name);
  const PipelineOptions& pipeline = options.pipeline;
  if (kind == pg::WalFileKind::kOther) CheckOtherFile(path_string, name, pipeline.compression);
  FileScan scan = ScanFile(fs, path_string);
  if (kind == pg::WalFileKind::kSegment || kind == pg::WalFileKind::kPartial) {
    identity.Check(CheckSegment(path_string, name, scan, options.segment_size), name);
  }

  if (options.prevent_overwrite || kind == pg::WalFileKind::kTimelineHistory) {
    if (auto existing = FindCompressedObject(wal_folder, name, pipeline.compression)) {
      if (auto same = SameContent(wal_folder, *existing, scan.digest, pipeline, name)) {
        if (*same) {
          spdlog::info("WAL file '{}' already archived with equal content, skipping", name);
          return WalPushOutcome::kAlreadyArchived;
        }
        throw Error(ErrorCode::kAlreadyExists,
                    fmt::format("WAL file '{}' already archived in {} as {}, contents differ, "
                                "unable to overwrite; another cluster (or a restored copy of "
                                "this one) may be archiving to the same place: check "
                                "archive_command and the storage settings",
                                name, wal_folder.storage().Describe(), wal_folder.Key(*existing)));
      }
    }
  }

  std::string object = WithExtension(name, pipeline.compression);
  Upload(fs, wal_folder, object, path_string, scan, pipeline);
  spdlog::info("FILE PATH: {}", object);
  return WalPushOutcome::kUploaded;
}

}  // namespace walnut
