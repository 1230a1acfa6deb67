#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backup/backup_metadata_files.h"
#include "backup/pgdata_walker.h"
#include "backup/tar_writer.h"
#include "concurrency/rate_limiter.h"
#include "localfs/local_fs.h"
#include "pipeline/pipeline.h"
#include "postgres/lsn.h"

namespace walnut {

// How regular files are read into a tar.
struct FileReadOptions {
  LocalFs& fs;                              // the files are read through it
  RateLimiter* disk_limiter = nullptr;      // WALG_DISK_RATE_LIMIT; null: no limit
  bool verify_page_checksums = false;       // check relation pages while reading
  pg::Lsn backup_start_lsn = 0;             // pages newer than this are not judged
  size_t max_corrupt_blocks_recorded = 10;  // WAL-G keeps 10 unless --store-all-corrupt
  const std::atomic<bool>* stop = nullptr;  // set by a signal: reading ends with kCancelled
  std::function<void(uint64_t)> on_bytes{};  // bytes read so far, for progress (any thread)
};

// What was stored for one regular file.
struct PackedFile {
  std::string sha256;        // of the bytes stored in the tar for it (lower-case hex)
  uint64_t size = 0;         // bytes stored (= the header's size)
  uint64_t shortfall = 0;    // zero bytes added because the file shrank while read
  bool incremented = false;  // stored as WAL-G's increment (delta backups), not whole
  std::optional<CorruptBlocksInfo> corrupt_blocks;
};

// One tar object of a backup being written: tar -> compress -> encrypt -> storage, streamed,
// nothing staged on disk. Remembers the paths it holds (files_metadata's TarFileSets).
// Not thread-safe: one worker fills it.
class TarPartition {
 public:
  // Starts the upload of `name` in `folder`.
  TarPartition(const Folder& folder, std::string name, const PipelineOptions& pipeline);
  ~TarPartition();

  const std::string& name() const { return name_; }
  // Bytes of tar stream written (before compression): WAL-G's UncompressedSize counts these.
  uint64_t size() const { return tar_.bytes_written(); }
  const std::vector<std::string>& paths() const { return paths_; }

  // A directory or symbolic link: the header only.
  void AddHeader(const TarEntry& entry);
  // A member with the given content (backup_label, tablespace_map).
  void AddContent(const TarEntry& entry, std::string_view content);
  // A regular file, read from entry.source_path with the size the walk saw: a file that shrank
  // is zero-filled to it, one that grew is cut at it. nullopt when the file vanished before it
  // could be opened (nothing is written then). Throws kIo for other read errors.
  std::optional<PackedFile> AddFile(const WalkedEntry& entry, const FileReadOptions& options);

  // A member whose entry.size bytes come from `content` (a delta's increment); returns the
  // SHA-256 (lower-case hex) of those bytes. Throws kIo when `content` ends early.
  std::string AddStream(const TarEntry& entry, Reader& content, const FileReadOptions& options);

  // Ends the tar and commits the object (waits for its upload). Throws on upload failure.
  void Close();
  // After Close(): the SHA-256 (lower-case hex) of the object's stored bytes, for the sentinel.
  const std::string& stored_sha256() const { return checksum_->sha256(); }

 private:
  std::string name_;
  UploadWriter* checksum_ = nullptr;  // owned by upload_
  std::unique_ptr<Writer> upload_;
  TarWriter tar_;
  std::vector<std::string> paths_;
  std::vector<std::byte> buffer_;
};

}  // namespace walnut
