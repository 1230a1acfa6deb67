#include "backup/tar_partition.h"

#include <algorithm>
#include <cerrno>

#include <fcntl.h>
#include <fmt/format.h>

#include "backup/page_verifier.h"
#include "common/error.h"
#include "common/logging.h"
#include "concurrency/async_writer.h"
#include "io/digest.h"
#include "pipeline/stage_buffers.h"

namespace walnut {
namespace {

// Read size: a multiple of the page size, large enough for sequential reads to be cheap.
constexpr size_t kReadSize = 256 * 1024;

}  // namespace

namespace {

// The upload of one tar. Its files' content is hashed for files_metadata.json as they are read;
// the object gets the SHA-256 of its stored bytes, a fraction of the data once compressed.
std::unique_ptr<UploadWriter> StartUpload(const Folder& folder, const std::string& name,
                                          const PipelineOptions& pipeline) {
  return MakeUploadWriter(folder, name, pipeline, {}, ChecksumOf::kStoredBytes);
}

}  // namespace

TarPartition::TarPartition(const Folder& folder, std::string name, const PipelineOptions& pipeline)
    : name_(std::move(name)),
      upload_([&] {
        std::unique_ptr<UploadWriter> upload = StartUpload(folder, name_, pipeline);
        checksum_ = upload.get();
        // Compression runs on a thread of its own while this one reads and hashes the files.
        return std::make_unique<AsyncWriter>(std::move(upload), kStageBufferSize, kStageDepth);
      }()),
      tar_(*upload_) {}

TarPartition::~TarPartition() = default;  // an unclosed upload aborts

void TarPartition::AddHeader(const TarEntry& entry) {
  tar_.AddEntry(entry);
  paths_.push_back(entry.name);
}

void TarPartition::AddContent(const TarEntry& entry, std::string_view content) {
  TarEntry header = entry;
  header.size = content.size();
  tar_.AddEntry(header);
  tar_.Write(AsBytes(content));
  paths_.push_back(entry.name);
}

std::optional<PackedFile> TarPartition::AddFile(const WalkedEntry& entry,
                                                const FileReadOptions& options) {
  LocalFile file;
  if (int err = options.fs.Open(entry.source_path, O_RDONLY, 0, file)) {
    if (err == ENOENT) return std::nullopt;  // removed since the walk (a dropped relation)
    ThrowSystemError("cannot open", entry.source_path, err);
  }
  tar_.AddEntry(entry.header);
  paths_.push_back(entry.header.name);
  if (buffer_.empty()) buffer_.resize(kReadSize);

  std::optional<PageVerifier> verifier;
  if (options.verify_page_checksums && entry.has_page_checksums) {
    verifier.emplace(entry.first_block, options.backup_start_lsn);
    verifier->set_max_recorded(options.max_corrupt_blocks_recorded);
  }
  Sha256Hasher hasher;
  uint64_t remaining = entry.header.size;
  while (remaining > 0) {
    if (options.stop && options.stop->load()) {
      throw Error(ErrorCode::kCancelled, "backup-push interrupted");
    }
    size_t want = static_cast<size_t>(std::min<uint64_t>(remaining, buffer_.size()));
    if (options.disk_limiter) options.disk_limiter->Acquire(want);
    size_t n = file.Read(ByteSpan(buffer_.data(), want));
    if (n == 0) break;  // the file shrank: FinishEntry zero-fills to the header's size
    ConstByteSpan data(buffer_.data(), n);
    if (verifier) verifier->Update(data);
    hasher.Update(data);
    tar_.Write(data);
    remaining -= n;
    if (options.on_bytes) options.on_bytes(n);
  }
  PackedFile packed;
  packed.shortfall = remaining;
  if (remaining > 0) {
    // The stored content is what restore gets: zeros included in the checksum.
    std::fill(buffer_.begin(), buffer_.end(), std::byte{0});
    for (uint64_t left = remaining; left > 0;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(left, buffer_.size()));
      hasher.Update(ConstByteSpan(buffer_.data(), n));
      left -= n;
    }
    tar_.FinishEntry();
  }
  packed.size = entry.header.size;
  packed.sha256 = hasher.Finish().Hex();
  if (verifier && verifier->corrupt_count() > 0) {
    packed.corrupt_blocks =
        CorruptBlocksInfo{.count = static_cast<int64_t>(verifier->corrupt_count()),
                          .some_blocks = verifier->corrupt_blocks()};
  }
  return packed;
}

std::string TarPartition::AddStream(const TarEntry& entry, Reader& content,
                                    const FileReadOptions& options) {
  tar_.AddEntry(entry);
  paths_.push_back(entry.name);
  if (buffer_.empty()) buffer_.resize(kReadSize);
  Sha256Hasher hasher;
  uint64_t remaining = entry.size;
  while (remaining > 0) {
    if (options.stop && options.stop->load()) {
      throw Error(ErrorCode::kCancelled, "backup-push interrupted");
    }
    size_t want = static_cast<size_t>(std::min<uint64_t>(remaining, buffer_.size()));
    size_t n = content.Read(ByteSpan(buffer_.data(), want));
    if (n == 0) {
      throw Error(ErrorCode::kIo, fmt::format("{}: {} bytes short of the {} announced", entry.name,
                                              remaining, entry.size));
    }
    ConstByteSpan data(buffer_.data(), n);
    hasher.Update(data);
    tar_.Write(data);
    remaining -= n;
  }
  return hasher.Finish().Hex();
}

void TarPartition::Close() { tar_.Close(); }

}  // namespace walnut
