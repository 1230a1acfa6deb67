#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/writer.h"
#include "storage/fs/unique_fd.h"
#include "storage/object_info.h"

namespace walnut {

// Writes one object of an FsStorage atomically: the bytes go to a temporary file in the final
// directory, and Close() fsyncs it, renames it over the final name and fsyncs the directory. A
// crash or an Abort() therefore never leaves a partial file under the final name, and an existing
// object stays intact until the rename. Small writes are gathered in a fixed buffer.
// Not thread-safe.
class FsWriter : public Writer {
 public:
  // Creates the temporary file next to `final_path`. Throws (naming the path) when it cannot;
  // kNotFound means the directory does not exist, so the caller may create it and retry.
  static std::unique_ptr<FsWriter> Create(const std::string& final_path);

  // Use Create(); `fd` is the open temporary file.
  FsWriter(UniqueFd fd, std::string final_path, std::string temporary_path);
  ~FsWriter() override;

  void Write(ConstByteSpan src) override;
  // Makes the object visible under its final name. On failure the temporary file is removed and
  // no object is committed (except when only the directory fsync failed: the message says so).
  void Close() override;
  void Abort() noexcept override;

  // Appends the rest of `src_fd` (from its current offset) to the object, with copy_file_range()
  // when the kernel can (no copy through user space; reflinks on XFS/btrfs).
  void AppendFile(int src_fd, const std::string& src_path);

  // Keeps `metadata` with the object (extended attributes, see fs_metadata.h); set on the
  // temporary file, so it appears with the object. REQUIRES: before Close().
  void SetMetadata(const std::map<std::string, std::string>& metadata);
  // Keeps late->values with the object too, set at Close() (before the rename), and marks them
  // kept when the file system could. REQUIRES: before Close().
  void SetLateMetadata(std::shared_ptr<LateMetadata> late) { late_ = std::move(late); }

  // Close() still renames atomically but syncs neither the file nor its directory: for a file
  // whose reader makes it durable itself (PostgreSQL fsyncs a restored WAL file it keeps, and
  // fetches it again after a crash). REQUIRES: before Close().
  void SkipSync() { sync_ = false; }

  const std::string& temporary_path() const { return temporary_path_; }

 private:
  void WriteToFile(ConstByteSpan src);
  void Flush();
  void CheckOpen() const;
  // Removes the temporary file and marks the writer failed; for error paths.
  void Fail() noexcept;

  enum class State { kOpen, kClosed, kFailed };

  UniqueFd fd_;
  std::string final_path_;
  std::string temporary_path_;
  std::vector<std::byte> buffer_;  // allocated on the first small write
  size_t buffered_ = 0;
  State state_ = State::kOpen;
  bool sync_ = true;
  std::shared_ptr<LateMetadata> late_;
};

}  // namespace walnut
