#include "localfs/atomic_file_writer.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>

#include "common/error.h"
#include "localfs/paths.h"
#include "localfs/temporary_name.h"

namespace walnut {
namespace {

constexpr size_t kBufferSize = 256_KiB;

}  // namespace

std::unique_ptr<AtomicFileWriter> AtomicFileWriter::Create(LocalFs& fs,
                                                           const std::string& final_path,
                                                           const Options& options) {
  bool next_to_it = options.temporary_dir.empty();
  std::string dir = next_to_it ? DirName(final_path) : options.temporary_dir;
  std::string name = BaseName(final_path);
  for (int collisions = 0;;) {
    std::string temporary_path = fmt::format("{}/{}", dir, MakeTemporaryName(name));
    LocalFile file;
    int err = fs.Open(temporary_path, O_WRONLY | O_CREAT | O_EXCL, options.mode, file);
    if (err == 0) {
      return std::make_unique<AtomicFileWriter>(fs, std::move(file), final_path, options.sync);
    }
    if (err == EEXIST && ++collisions < 10) continue;  // a random-name collision: draw again
    ThrowSystemError("cannot create", next_to_it ? final_path : temporary_path, err);
  }
}

AtomicFileWriter::AtomicFileWriter(LocalFs& fs, LocalFile file, std::string final_path, bool sync)
    : fs_(fs), file_(std::move(file)), final_path_(std::move(final_path)), sync_(sync) {}

AtomicFileWriter::~AtomicFileWriter() { Abort(); }

void AtomicFileWriter::CheckOpen() const {
  if (state_ != State::kOpen) {
    throw Error(ErrorCode::kInternal,
                fmt::format("write to {} after it was closed or failed", final_path_));
  }
}

void AtomicFileWriter::Write(ConstByteSpan src) {
  CheckOpen();
  try {
    if (buffered_ + src.size() > kBufferSize) {
      Flush();
      if (src.size() >= kBufferSize) {
        WriteToFile(src);  // large writes skip the buffer
        return;
      }
    }
    if (buffer_.empty()) buffer_.resize(kBufferSize);
    std::memcpy(buffer_.data() + buffered_, src.data(), src.size());
    buffered_ += src.size();
  } catch (...) {
    Fail();
    throw;
  }
}

void AtomicFileWriter::Flush() {
  if (buffered_ == 0) return;
  WriteToFile(ConstByteSpan(buffer_.data(), buffered_));
  buffered_ = 0;
}

// Errors name the final path: the temporary one means nothing to the user.
void AtomicFileWriter::WriteToFile(ConstByteSpan src) {
  if (int err = fs_.WriteAt(file_, src, file_.position())) {
    ThrowSystemError("cannot write", final_path_, err);
  }
  file_.set_position(file_.position() + src.size());
}

void AtomicFileWriter::AppendFile(LocalFile& src) {
  CheckOpen();
  try {
    Flush();
    uint64_t from = src.position();
    while (true) {
      size_t copied = 0;
      int err = fs_.CopyRange(src, from, file_, file_.position(), size_t{1} << 30, copied);
      // Not possible between these files (another file system, an old kernel): copy through a
      // buffer from where the kernel stopped.
      if (err == EXDEV || err == ENOSYS || err == EINVAL || err == EOPNOTSUPP) break;
      if (err != 0)
        ThrowSystemError(fmt::format("cannot copy {} to", src.path()), final_path_, err);
      if (copied == 0) return;
      from += copied;
      file_.set_position(file_.position() + copied);
    }
    std::vector<std::byte> buffer(kBufferSize);
    while (size_t n = src.ReadAt(buffer, from)) {
      WriteToFile(ConstByteSpan(buffer.data(), n));
      from += n;
    }
  } catch (...) {
    Fail();
    throw;
  }
}

void AtomicFileWriter::Close() {
  CheckOpen();
  try {
    Flush();
    if (int err = sync_ ? fs_.Sync(file_) : 0) ThrowSystemError("cannot sync", final_path_, err);
    // A failing close() of a written file can mean lost data (NFS, quotas).
    if (int err = fs_.Close(file_)) ThrowSystemError("cannot write", final_path_, err);
    if (int err = fs_.Rename(temporary_path(), final_path_)) {
      ThrowSystemError(fmt::format("cannot rename {} to", temporary_path()), final_path_, err);
    }
  } catch (...) {
    Fail();
    throw;
  }
  state_ = State::kClosed;
  if (!sync_) return;
  std::string dir = DirName(final_path_);
  // ENOENT: a concurrent delete of this very file removed it and then its directory.
  if (int err = fs_.SyncDirectory(dir); err != 0 && err != ENOENT) {
    ThrowSystemError(fmt::format("wrote {} but cannot sync its directory", final_path_), dir, err);
  }
}

void AtomicFileWriter::Abort() noexcept {
  if (state_ == State::kOpen) Fail();
}

void AtomicFileWriter::Fail() noexcept {
  std::string temporary = file_.path();
  if (file_.is_open()) fs_.Close(file_);
  if (state_ == State::kOpen) fs_.Unlink(temporary);
  state_ = State::kFailed;
}

void WriteFileAtomically(LocalFs& fs, const std::string& path, std::string_view content) {
  CreateDirectories(fs, DirName(path), 0777, /*sync=*/true);
  auto writer = AtomicFileWriter::Create(fs, path);
  writer->Write(AsBytes(content));
  writer->Close();
}

}  // namespace walnut
