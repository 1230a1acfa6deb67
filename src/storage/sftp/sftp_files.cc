#include "storage/sftp/sftp_files.h"

#include <algorithm>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>

#include "storage/sftp/sftp_raw.h"

namespace walnut::sftp {
namespace {

// One SFTP write request carries at most this much: OpenSSH's sftp-server takes messages of up
// to 256 KiB.
constexpr size_t kMaxWriteRequest = 128 * 1024;

}  // namespace

RemoteStat StatOf(const sftp_attributes_struct& attributes) {
  RemoteStat st;
  st.regular = attributes.type == SSH_FILEXFER_TYPE_REGULAR;
  st.directory = attributes.type == SSH_FILEXFER_TYPE_DIRECTORY;
  st.size = attributes.size;
  st.mtime = static_cast<int64_t>(attributes.mtime);
  return st;
}

std::optional<RemoteStat> StatPath(SftpLease& lease, const std::string& path) {
  SftpConnection::Busy busy(*lease);
  AttributesPtr attributes(Ssh().sftp_stat(lease->sftp(), path.c_str()));
  if (!attributes) {
    int status = lease->LastStatus();
    if (status == SSH_FX_NO_SUCH_FILE || status == SSH_FX_NO_SUCH_PATH) return std::nullopt;
    throw lease.Fail("cannot stat", path);
  }
  return StatOf(*attributes);
}

FilePtr OpenForReading(SftpLease& lease, const std::string& path) {
  SftpConnection::Busy busy(*lease);
  FilePtr file(Ssh().sftp_open(lease->sftp(), path.c_str(), O_RDONLY, 0));
  if (!file) {
    int status = lease->LastStatus();
    if (status == SSH_FX_NO_SUCH_FILE || status == SSH_FX_NO_SUCH_PATH) return nullptr;
    throw lease.Fail("cannot open", path);
  }
  return file;
}

std::optional<std::string> ReadSmallFile(SftpLease& lease, const std::string& path,
                                         size_t max_bytes) {
  SftpConnection::Busy busy(*lease);
  FilePtr file = OpenForReading(lease, path);
  if (!file) return std::nullopt;
  std::string data;
  std::vector<char> buffer(16 * 1024);
  while (true) {
    ssize_t n = Ssh().sftp_read(file.get(), buffer.data(), buffer.size());
    if (n < 0) throw lease.Fail("cannot read", path);
    if (n == 0) break;
    data.append(buffer.data(), static_cast<size_t>(n));
    if (data.size() > max_bytes) return std::nullopt;
  }
  return data;
}

void WriteAll(SftpLease& lease, sftp_file file, std::string_view data, const std::string& path) {
  SftpConnection::Busy busy(*lease);
  while (!data.empty()) {
    size_t chunk = std::min(data.size(), kMaxWriteRequest);
    ssize_t n = Ssh().sftp_write(file, data.data(), chunk);
    if (n <= 0) throw lease.Fail("cannot write", path);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void SyncFile(SftpLease& lease, sftp_file file, const std::string& path) {
  SftpConnection::Busy busy(*lease);
  if (Ssh().sftp_extension_supported(lease->sftp(), "fsync@openssh.com", "1") != 0 &&
      Ssh().sftp_fsync(file) != 0) {
    throw lease.Fail("cannot sync", path);
  }
}

void MakeDirectories(SftpLease& lease, const std::string& root, const std::string& path) {
  SftpConnection::Busy busy(*lease);
  // Walk up to the first directory that exists, then create downwards.
  std::vector<std::string> missing;
  std::string dir = path;
  while (!dir.empty() && dir != "/") {
    std::optional<RemoteStat> st = StatPath(lease, dir);
    if (st) {
      if (!st->directory) {
        throw Error(ErrorCode::kFailedPrecondition,
                    fmt::format("cannot create directory {} on {}: a file is in the way", dir,
                                ServerName(lease.pool_options())));
      }
      break;
    }
    missing.push_back(dir);
    if (dir == root) break;
    dir = ParentOf(dir);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (Ssh().sftp_mkdir(lease->sftp(), it->c_str(), 0750) != 0) {
      int status = lease->LastStatus();
      // Someone else made it meanwhile (OpenSSH answers a plain failure for EEXIST).
      if (status == SSH_FX_FILE_ALREADY_EXISTS || status == SSH_FX_FAILURE) {
        std::optional<RemoteStat> st = StatPath(lease, *it);
        if (st && st->directory) continue;
      }
      throw lease.Fail("cannot create directory", *it);
    }
  }
}

bool RemoveFile(SftpLease& lease, const std::string& path) {
  SftpConnection::Busy busy(*lease);
  if (Ssh().sftp_unlink(lease->sftp(), path.c_str()) == 0) return true;
  int status = lease->LastStatus();
  if (status == SSH_FX_NO_SUCH_FILE || status == SSH_FX_NO_SUCH_PATH) return false;
  throw lease.Fail("cannot delete", path);
}

void RenameReplacing(SftpLease& lease, const std::string& from, const std::string& to) {
  SftpConnection::Busy busy(*lease);
  // SFTP version 3's rename refuses an existing target, and libssh 0.10 has no call for OpenSSH's
  // posix-rename@openssh.com extension (rename(2): an atomic replacement), so it goes raw.
  const std::string server = ServerName(lease.pool_options());
  if (Ssh().sftp_extension_supported(lease->sftp(), "posix-rename@openssh.com", "1") == 0) {
    throw Error(ErrorCode::kUnsupported,
                fmt::format("the SFTP server {} lacks the posix-rename@openssh.com extension, "
                            "which atomic writes need; use OpenSSH's sftp-server",
                            server));
  }
  const uint32_t id = NextRawId(lease);
  std::string what = fmt::format("cannot rename into {}", to);
  SendRaw(lease,
          SftpPacket(SSH_FXP_EXTENDED)
              .U32(id)
              .String("posix-rename@openssh.com")
              .String(from)
              .String(to),
          what);
  uint32_t status = ReadRawStatus(lease, id, what);
  if (status == SSH_FX_OK) return;
  if (status == SSH_FX_NO_SUCH_FILE || status == SSH_FX_NO_SUCH_PATH) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("cannot rename {} into {} on {}: no such file", from, to, server));
  }
  if (status == SSH_FX_PERMISSION_DENIED) {
    throw Error(ErrorCode::kPermissionDenied,
                fmt::format("cannot rename into {} on {}: permission denied", to, server));
  }
  throw Error(ErrorCode::kIo, fmt::format("cannot rename into {} on {}: the server answered "
                                          "SFTP status {}",
                                          to, server, status));
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  if (dir == "/") return fmt::format("/{}", name);
  return fmt::format("{}/{}", dir, name);
}

std::string ParentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace walnut::sftp
