#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "io/writer.h"
#include "storage/object_info.h"
#include "storage/sftp/sftp_files.h"
#include "storage/storage_reader.h"

namespace walnut::sftp {

// The sidecar holding the metadata of the object at `path` (sftp_metadata.h).
std::string SidecarPathOf(const std::string& path);

// An object's bytes read over its own connection, pipelined: up to kReadDepth requests of
// kReadRequest bytes are in flight, so a transfer is not one round trip per block.
class SftpObjectReader : public StorageReader {
 public:
  static constexpr uint32_t kReadRequest = 64 * 1024;
  static constexpr size_t kReadDepth = 16;  // 1 MiB in flight per reader

  // Reads `file` (open on `lease`) from `offset`, at most `length` bytes.
  SftpObjectReader(std::unique_ptr<SftpLease> lease, FilePtr file, std::string path,
                   uint64_t offset, std::optional<uint64_t> length,
                   std::map<std::string, std::string> metadata);
  ~SftpObjectReader() override;

  size_t Read(ByteSpan dst) override;
  const std::map<std::string, std::string>& metadata() const override { return metadata_; }

 private:
  struct Pending {
    uint32_t id;
    uint32_t length;
    uint64_t offset;
  };
  void Request();
  // Waits for the answers still in flight, so the connection can be reused.
  void Drain() noexcept;

  std::unique_ptr<SftpLease> lease_;
  FilePtr file_;
  std::string path_;
  uint64_t next_offset_;                // of the next request
  std::optional<uint64_t> to_request_;  // bytes of the range not requested yet; none: to the end
  std::map<std::string, std::string> metadata_;
  std::deque<Pending> pending_;
  std::string buffer_;
  size_t buffer_pos_ = 0;
  bool end_ = false;
};

// Writes an object as SFTP allows atomically: into a hidden temporary file next to it, renamed
// over the key at Close() (posix-rename). Metadata goes into the sidecar (sftp_metadata.h):
// at Close the old sidecar is removed first, then the file renamed, then the new sidecar
// renamed in, so no reader ever pairs new bytes with old metadata. Writes are pipelined (raw
// requests, sftp_raw.h: libssh 0.10 has no asynchronous write): up to kWriteDepth requests of
// kWriteBuffer bytes are on their way, so an upload is not one round trip per 128 KiB.
class SftpObjectWriter : public Writer {
 public:
  static constexpr size_t kWriteBuffer = 128 * 1024;
  static constexpr size_t kWriteDepth = 8;  // 1 MiB in flight per writer

  SftpObjectWriter(std::unique_ptr<SftpLease> lease, FilePtr file, std::string path,
                   std::string temp_path, std::map<std::string, std::string> metadata,
                   std::shared_ptr<LateMetadata> late);
  ~SftpObjectWriter() override;

  void Write(ConstByteSpan src) override;
  void Close() override;
  void Abort() noexcept override;

 private:
  void Flush();
  // Waits for the answer to the oldest write in flight; throws when it failed.
  void AwaitOne();

  std::unique_ptr<SftpLease> lease_;
  FilePtr file_;
  std::string path_;
  std::string temp_path_;
  std::map<std::string, std::string> metadata_;
  std::shared_ptr<LateMetadata> late_;
  std::string buffer_;
  std::deque<uint32_t> in_flight_;  // ids of the writes not answered yet, oldest first
  uint64_t offset_ = 0;             // of the next write
  bool done_ = false;
};

}  // namespace walnut::sftp
