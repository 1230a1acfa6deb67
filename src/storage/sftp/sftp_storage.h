#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/sftp/sftp_options.h"
#include "storage/sftp/sftp_pool.h"
#include "storage/storage.h"

namespace walnut::sftp {

// A directory on an SSH server, reached over SFTP (WAL-G's WALG_SSH_PREFIX): key "a/b" is the
// file <root>/a/b, as WAL-G stores it, so either tool reads what the other wrote. As the
// directory backend: directories are made on Put and empty ones removed on Delete, writes are
// atomic (a hidden temporary file renamed over the key), and listings skip hidden temporary
// files. User metadata lives in a hidden sidecar per object (sftp_metadata.h). Requests run on a
// pool of SSH connections (sftp_pool.h), one per concurrent request, Reader or Writer.
// Thread-safe.
class SftpStorage : public Storage {
 public:
  explicit SftpStorage(SftpOptions options);

  std::string Describe() const override;  // "ssh://user@host:port/root"
  std::unique_ptr<StorageReader> Get(std::string_view key, ByteRange range = {}) override;
  std::optional<ObjectInfo> Stat(std::string_view key) override;
  std::unique_ptr<Writer> Put(std::string_view key, const PutOptions& options = {}) override;
  void List(std::string_view prefix, const ListOptions& options,
            const std::function<void(const ObjectInfo&)>& fn) override;
  // Also removes the sidecars, and the temporary files ListTemporaryFiles names.
  void Delete(std::span<const std::string> keys) override;
  void ListTemporaryFiles(std::string_view prefix, const ListOptions& options,
                          const std::function<void(const ObjectInfo&)>& fn) override;
  bool Supports(StorageFeature feature) const override;

  // Connects once now, so that a bad host, key or password fails before any work.
  void CheckConnection();

 private:
  struct Entry;
  std::string PathOf(std::string_view key) const;
  std::unique_ptr<StorageReader> GetOnce(std::string_view key, ByteRange range);
  std::optional<ObjectInfo> StatOnce(std::string_view key);
  std::vector<Entry> ReadDirectoryOnce(const std::string& dir_key, std::string_view name_prefix,
                                       bool temporaries);
  void DeleteKeysOnce(std::span<const std::string> keys, size_t& done);
  std::map<std::string, std::string> TrustedMetadata(SftpLease& lease, const std::string& path,
                                                     uint64_t size, int64_t mtime) const;
  std::vector<Entry> ReadDirectory(const std::string& dir_key, std::string_view name_prefix,
                                   bool temporaries);
  void ListDirectory(const std::string& dir_key, std::string_view name_prefix, bool recursive,
                     bool temporaries, const std::function<void(const ObjectInfo&)>& fn);
  bool ContainsObjects(const std::string& dir_key);
  void DeleteKeys(std::span<const std::string> keys);

  SftpPool pool_;
  std::string root_;
};

}  // namespace walnut::sftp
