#include "storage/sftp/sftp_object_io.h"

#include <algorithm>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>

#include "localfs/temporary_name.h"
#include "storage/sftp/sftp_metadata.h"
#include "storage/sftp/sftp_raw.h"

namespace walnut::sftp {

std::string SidecarPathOf(const std::string& path) {
  return JoinPath(ParentOf(path), SidecarName(BaseName(path)));
}

// --- Reader ---------------------------------------------------------------------------------

SftpObjectReader::SftpObjectReader(std::unique_ptr<SftpLease> lease, FilePtr file, std::string path,
                                   uint64_t offset, std::optional<uint64_t> length,
                                   std::map<std::string, std::string> metadata)
    : lease_(std::move(lease)),
      file_(std::move(file)),
      path_(std::move(path)),
      next_offset_(offset),
      to_request_(length),
      metadata_(std::move(metadata)) {
  if (Ssh().sftp_seek64(file_.get(), offset) != 0) throw lease_->Fail("cannot seek in", path_);
}

SftpObjectReader::~SftpObjectReader() { Drain(); }

void SftpObjectReader::Request() {
  while (pending_.size() < kReadDepth && (!to_request_ || *to_request_ > 0)) {
    uint32_t length = kReadRequest;
    if (to_request_) length = static_cast<uint32_t>(std::min<uint64_t>(length, *to_request_));
    int id = Ssh().sftp_async_read_begin(file_.get(), length);
    if (id < 0) throw lease_->Fail("cannot read", path_);
    pending_.push_back(Pending{static_cast<uint32_t>(id), length, next_offset_});
    next_offset_ += length;
    if (to_request_) *to_request_ -= length;
  }
}

void SftpObjectReader::Drain() noexcept {
  SftpConnection::Busy busy(**lease_);
  std::string sink(kReadRequest, '\0');
  while (!pending_.empty()) {
    Pending p = pending_.front();
    pending_.pop_front();
    if (Ssh().sftp_async_read(file_.get(), sink.data(), p.length, p.id) < 0) {
      // The connection is in doubt; the pool closes it when it is returned.
      pending_.clear();
    }
  }
}

size_t SftpObjectReader::Read(ByteSpan dst) {
  SftpConnection::Busy busy(**lease_);
  while (buffer_pos_ == buffer_.size()) {
    if (end_ || dst.empty()) return 0;
    Request();
    if (pending_.empty()) {
      end_ = true;
      return 0;
    }
    Pending p = pending_.front();
    pending_.pop_front();
    buffer_.resize(p.length);
    int n = Ssh().sftp_async_read(file_.get(), buffer_.data(), p.length, p.id);
    if (n < 0) throw lease_->Fail("cannot read", path_);
    buffer_.resize(static_cast<size_t>(n));
    buffer_pos_ = 0;
    if (n == 0) {
      // The end of the file: what was asked beyond it answers EOF too.
      Drain();
      end_ = true;
      return 0;
    }
    if (static_cast<uint32_t>(n) < p.length) {
      // A short answer (the end of the file, or a server that sends less): the requests after
      // it asked for the wrong offsets. Forget them and continue right after these bytes.
      uint64_t unread = p.length - static_cast<uint32_t>(n);
      for (const Pending& later : pending_) unread += later.length;
      Drain();
      next_offset_ = p.offset + static_cast<uint64_t>(n);
      if (to_request_) *to_request_ += unread;
      if (Ssh().sftp_seek64(file_.get(), next_offset_) != 0)
        throw lease_->Fail("cannot seek in", path_);
    }
  }
  size_t n = std::min(dst.size(), buffer_.size() - buffer_pos_);
  std::memcpy(dst.data(), buffer_.data() + buffer_pos_, n);
  buffer_pos_ += n;
  return n;
}

// --- Writer ---------------------------------------------------------------------------------

SftpObjectWriter::SftpObjectWriter(std::unique_ptr<SftpLease> lease, FilePtr file, std::string path,
                                   std::string temp_path,
                                   std::map<std::string, std::string> metadata,
                                   std::shared_ptr<LateMetadata> late)
    : lease_(std::move(lease)),
      file_(std::move(file)),
      path_(std::move(path)),
      temp_path_(std::move(temp_path)),
      metadata_(std::move(metadata)),
      late_(std::move(late)) {
  buffer_.reserve(kWriteBuffer);
}

SftpObjectWriter::~SftpObjectWriter() {
  if (!done_) Abort();
}

void SftpObjectWriter::Flush() {
  if (buffer_.empty()) return;
  if (in_flight_.size() >= kWriteDepth) AwaitOne();
  SftpLease& lease = *lease_;
  ssh_string handle = file_->handle;
  std::string_view handle_bytes(static_cast<const char*>(Ssh().ssh_string_data(handle)),
                                Ssh().ssh_string_len(handle));
  const uint32_t id = NextRawId(lease);
  SendRaw(lease,
          SftpPacket(SSH_FXP_WRITE).U32(id).String(handle_bytes).U64(offset_).String(buffer_),
          fmt::format("cannot write {}", temp_path_));
  in_flight_.push_back(id);
  offset_ += buffer_.size();
  buffer_.clear();
}

void SftpObjectWriter::AwaitOne() {
  SftpLease& lease = *lease_;
  uint32_t id = in_flight_.front();
  uint32_t status = ReadRawStatus(lease, id, fmt::format("cannot write {}", temp_path_));
  in_flight_.pop_front();
  if (status == SSH_FX_OK) return;
  std::string server = ServerName(lease.pool_options());
  if (status == SSH_FX_PERMISSION_DENIED) {
    throw Error(ErrorCode::kPermissionDenied,
                fmt::format("cannot write {} on {}: permission denied", temp_path_, server));
  }
  throw Error(ErrorCode::kIo, fmt::format("cannot write {} on {}: the server answered SFTP "
                                          "status {} (a full disk or quota answers so too)",
                                          temp_path_, server, status));
}

void SftpObjectWriter::Write(ConstByteSpan src) {
  std::string_view data = AsChars(src);
  while (!data.empty()) {
    size_t n = std::min(data.size(), kWriteBuffer - buffer_.size());
    buffer_.append(data.substr(0, n));
    data.remove_prefix(n);
    if (buffer_.size() == kWriteBuffer) Flush();
  }
}

void SftpObjectWriter::Close() {
  SftpConnection::Busy busy(**lease_);
  Flush();
  while (!in_flight_.empty()) AwaitOne();
  SftpLease& lease = *lease_;
  // Durable before it becomes visible, where the server can; so is the sidecar below: one
  // renamed into place but lost in a crash would leave the object without its metadata.
  SyncFile(lease, file_.get(), temp_path_);
  AttributesPtr attributes(Ssh().sftp_fstat(file_.get()));
  if (!attributes) throw lease.Fail("cannot stat", temp_path_);
  RemoteStat written = StatOf(*attributes);
  if (Ssh().sftp_close(file_.release()) != 0) throw lease.Fail("cannot close", temp_path_);

  std::map<std::string, std::string> metadata = metadata_;
  if (late_) {
    for (const auto& [name, value] : late_->values) metadata[name] = value;
  }
  std::string sidecar_path = SidecarPathOf(path_);
  std::string sidecar_temp;
  if (!metadata.empty()) {
    sidecar_temp = JoinPath(ParentOf(path_), MakeTemporaryName(SidecarName(BaseName(path_))));
    FilePtr sidecar(
        Ssh().sftp_open(lease->sftp(), sidecar_temp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0640));
    if (!sidecar) throw lease.Fail("cannot create", sidecar_temp);
    WriteAll(lease, sidecar.get(), EncodeSidecar(Sidecar{written.size, written.mtime, metadata}),
             sidecar_temp);
    SyncFile(lease, sidecar.get(), sidecar_temp);
    if (Ssh().sftp_close(sidecar.release()) != 0) throw lease.Fail("cannot close", sidecar_temp);
  }
  try {
    RemoveFile(lease, sidecar_path);
    RenameReplacing(lease, temp_path_, path_);
  } catch (...) {
    if (!sidecar_temp.empty() && lease->alive())
      Ssh().sftp_unlink(lease->sftp(), sidecar_temp.c_str());
    throw;
  }
  done_ = true;
  if (!sidecar_temp.empty()) RenameReplacing(lease, sidecar_temp, sidecar_path);
  if (late_) late_->kept = true;
}

void SftpObjectWriter::Abort() noexcept {
  if (done_) return;
  done_ = true;
  if (!lease_) return;
  // The answers still due must be read before libssh's next request on the connection.
  try {
    while (!in_flight_.empty() && (*lease_)->alive()) AwaitOne();
  } catch (...) {
    (*lease_)->MarkBroken();
  }
  in_flight_.clear();
  if (file_) {
    // On a connection in doubt a close could wait for an answer that never comes: the handle is
    // left to the server, which drops it with the connection.
    sftp_file file = file_.release();
    if ((*lease_)->alive()) Ssh().sftp_close(file);
  }
  // Best effort: a temporary file left behind is reported by ListTemporaryFiles.
  if ((*lease_)->alive()) Ssh().sftp_unlink((*lease_)->sftp(), temp_path_.c_str());
}

}  // namespace walnut::sftp
