#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/writer.h"
#include "localfs/local_fs.h"

namespace walnut {

// Writes a local file atomically: the bytes go to a temporary file (localfs/temporary_name.h),
// and Close() fsyncs it, renames it over the final name and fsyncs the directory. A crash, a
// failure or an Abort() therefore never leaves a partial file under the final name, and an
// existing file stays intact until the rename. Small writes are gathered in a fixed buffer; large
// ones go straight to the file. Not thread-safe.
class AtomicFileWriter : public Writer {
 public:
  struct Options {
    // Close() syncs the file and its directory. Without it Close() still renames atomically, for
    // a file whose reader makes it durable itself (PostgreSQL fsyncs a restored WAL file it
    // keeps, and fetches it again after a crash).
    bool sync = true;
    // Where the temporary file is made: "" for the final file's directory. Must be on the same
    // file system as the final file.
    std::string temporary_dir{};
    // 0640: a backup holds the whole database, so other users must not read what Walnut writes.
    uint32_t mode = 0640;
  };

  // Creates the temporary file. Throws Error naming the final path (the temporary one when it is
  // elsewhere); kNotFound means the directory does not exist, so the caller may create it and
  // retry.
  static std::unique_ptr<AtomicFileWriter> Create(LocalFs& fs, const std::string& final_path,
                                                  const Options& options);
  static std::unique_ptr<AtomicFileWriter> Create(LocalFs& fs, const std::string& final_path) {
    return Create(fs, final_path, Options());
  }

  // Use Create(); `file` is the open temporary file.
  AtomicFileWriter(LocalFs& fs, LocalFile file, std::string final_path, bool sync);
  ~AtomicFileWriter() override;

  void Write(ConstByteSpan src) override;
  // Makes the file visible under its final name. On failure the temporary file is removed and
  // nothing is committed (except when only the directory fsync failed: the message says so).
  void Close() override;
  void Abort() noexcept override;

  // Appends `src` from its position to its end, copied in the kernel where it can be
  // (LocalFs::CopyRange), else through a buffer.
  void AppendFile(LocalFile& src);

  // The temporary file, for what the seam does not cover (extended attributes). REQUIRES: before
  // Close().
  LocalFile& file() { return file_; }
  const std::string& temporary_path() const { return file_.path(); }

 private:
  void Flush();
  void WriteToFile(ConstByteSpan src);
  void CheckOpen() const;
  // Removes the temporary file and marks the writer failed; for error paths.
  void Fail() noexcept;

  enum class State { kOpen, kClosed, kFailed };

  LocalFs& fs_;
  LocalFile file_;
  std::string final_path_;
  std::vector<std::byte> buffer_;  // allocated on the first small write
  size_t buffered_ = 0;
  State state_ = State::kOpen;
  bool sync_;
};

// Writes `content` to `path` atomically and durably (AtomicFileWriter), creating missing
// directories. Throws Error naming the path.
void WriteFileAtomically(LocalFs& fs, const std::string& path, std::string_view content);

}  // namespace walnut
