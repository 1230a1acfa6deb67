#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "storage/sftp/sftp_pool.h"

namespace walnut::sftp {

// Small helpers over libssh's SFTP calls on a leased connection. Each throws the lease's
// RequestError naming the path on a failure it does not document as a result.

struct FileDeleter {
  void operator()(sftp_file file) const { Ssh().sftp_close(file); }
};
using FilePtr = std::unique_ptr<sftp_file_struct, FileDeleter>;

struct AttributesDeleter {
  void operator()(sftp_attributes attributes) const { Ssh().sftp_attributes_free(attributes); }
};
using AttributesPtr = std::unique_ptr<sftp_attributes_struct, AttributesDeleter>;

struct RemoteStat {
  bool regular = false;
  bool directory = false;
  uint64_t size = 0;
  int64_t mtime = 0;  // seconds
};

RemoteStat StatOf(const sftp_attributes_struct& attributes);

// stat (following links); nullopt when nothing is there.
std::optional<RemoteStat> StatPath(SftpLease& lease, const std::string& path);

// Opens `path` for reading; nullptr when it does not exist.
FilePtr OpenForReading(SftpLease& lease, const std::string& path);

// Reads a whole small file (a sidecar); nullopt when it does not exist or is larger than
// `max_bytes`.
std::optional<std::string> ReadSmallFile(SftpLease& lease, const std::string& path,
                                         size_t max_bytes);

// Writes all of `data` to an open file.
void WriteAll(SftpLease& lease, sftp_file file, std::string_view data, const std::string& path);

// Makes an open file's bytes durable (fsync(2) on the server) where the server can: OpenSSH's
// fsync@openssh.com extension. A server without it gets no sync (SFTP version 3 has none).
void SyncFile(SftpLease& lease, sftp_file file, const std::string& path);

// Creates `path` and its missing parents (mode 0750), stopping at `root` (which is created too
// when missing). A directory created concurrently by someone else is fine.
void MakeDirectories(SftpLease& lease, const std::string& root, const std::string& path);

// Removes a file; false when it was not there.
bool RemoveFile(SftpLease& lease, const std::string& path);

// Renames over an existing target (posix-rename@openssh.com, which OpenSSH has had since 5.x);
// throws kUnsupported naming the server when it lacks it.
void RenameReplacing(SftpLease& lease, const std::string& from, const std::string& to);

// `name` in directory `dir`: "a/b" + "c" -> "a/b/c"; "" (the login directory) + "c" -> "c";
// "/" + "c" -> "/c".
std::string JoinPath(std::string_view dir, std::string_view name);
// "a/b/c" -> "a/b"; "c" -> ""; "/c" -> "/".
std::string ParentOf(const std::string& path);
// The last component.
std::string_view BaseName(std::string_view path);

}  // namespace walnut::sftp
