#include "storage/fs/fs_writer.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "common/error.h"
#include "storage/fs/fs_error.h"
#include "storage/fs/fs_key.h"
#include "storage/fs/fs_metadata.h"
#include "storage/fs/fs_util.h"

namespace walnut {
namespace {

constexpr size_t kBufferSize = 256_KiB;

}  // namespace

std::unique_ptr<FsWriter> FsWriter::Create(const std::string& final_path) {
  std::string dir = DirName(final_path);
  std::string name = BaseName(final_path);
  for (int collisions = 0;;) {
    std::string temporary_path = fmt::format("{}/{}", dir, MakeTemporaryName(name));
    // 0640: a backup holds the whole database, so other users must not read it (WAL-G's 0666
    // minus a typical umask would let them).
    UniqueFd fd(::open(temporary_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
    if (fd.valid()) {
      return std::make_unique<FsWriter>(std::move(fd), final_path, std::move(temporary_path));
    }
    if (errno == EINTR) continue;
    if (errno == EEXIST && ++collisions < 10) continue;  // a random-name collision: draw again
    ThrowFsError("cannot create", final_path, errno);
  }
}

FsWriter::FsWriter(UniqueFd fd, std::string final_path, std::string temporary_path)
    : fd_(std::move(fd)),
      final_path_(std::move(final_path)),
      temporary_path_(std::move(temporary_path)) {}

FsWriter::~FsWriter() { Abort(); }

void FsWriter::CheckOpen() const {
  if (state_ != State::kOpen) {
    throw Error(ErrorCode::kInternal,
                fmt::format("write to {} after it was closed or failed", final_path_));
  }
}

void FsWriter::Write(ConstByteSpan src) {
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

void FsWriter::Flush() {
  if (buffered_ == 0) return;
  WriteToFile(ConstByteSpan(buffer_.data(), buffered_));
  buffered_ = 0;
}

void FsWriter::WriteToFile(ConstByteSpan src) {
  while (!src.empty()) {
    ssize_t n = ::write(fd_.get(), src.data(), src.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowFsError("cannot write", final_path_, errno);
    }
    src = src.subspan(static_cast<size_t>(n));
  }
}

void FsWriter::AppendFile(int src_fd, const std::string& src_path) {
  CheckOpen();
  try {
    Flush();
    while (true) {
      ssize_t n = ::copy_file_range(src_fd, nullptr, fd_.get(), nullptr, size_t{1} << 30, 0);
      if (n == 0) return;
      if (n > 0) continue;
      if (errno == EINTR) continue;
      // Not possible between these files (another file system, an old kernel): copy through a
      // buffer. The file offsets already reflect what was copied.
      if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP) break;
      ThrowFsError(fmt::format("cannot copy {} to", src_path), final_path_, errno);
    }
    std::vector<std::byte> buffer(kBufferSize);
    while (true) {
      ssize_t n = ::read(src_fd, buffer.data(), buffer.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        ThrowFsError("cannot read", src_path, errno);
      }
      if (n == 0) return;
      WriteToFile(ConstByteSpan(buffer.data(), static_cast<size_t>(n)));
    }
  } catch (...) {
    Fail();
    throw;
  }
}

void FsWriter::SetMetadata(const std::map<std::string, std::string>& metadata) {
  CheckOpen();
  try {
    WriteFsMetadata(fd_.get(), final_path_, metadata);
  } catch (...) {
    Fail();
    throw;
  }
}

void FsWriter::Close() {
  CheckOpen();
  try {
    Flush();
    if (late_ && !late_->values.empty()) {
      late_->kept = WriteFsMetadata(fd_.get(), final_path_, late_->values);
    }
    if (sync_ && ::fsync(fd_.get()) != 0) ThrowFsError("cannot sync", final_path_, errno);
    if (int err = fd_.Close()) ThrowFsError("cannot write", final_path_, err);
    if (::rename(temporary_path_.c_str(), final_path_.c_str()) != 0) {
      ThrowFsError(fmt::format("cannot rename {} to", temporary_path_), final_path_, errno);
    }
  } catch (...) {
    Fail();
    throw;
  }
  state_ = State::kClosed;
  if (!sync_) return;
  std::string dir = DirName(final_path_);
  // ENOENT: a concurrent Delete() of this very key removed the file and then its directory.
  if (int err = SyncDirectory(dir); err != 0 && err != ENOENT) {
    ThrowFsError(fmt::format("wrote {} but cannot sync its directory", final_path_), dir, err);
  }
}

void FsWriter::Abort() noexcept {
  if (state_ == State::kOpen) Fail();
}

void FsWriter::Fail() noexcept {
  fd_.Close();
  if (state_ == State::kOpen) ::unlink(temporary_path_.c_str());
  state_ = State::kFailed;
}

}  // namespace walnut
