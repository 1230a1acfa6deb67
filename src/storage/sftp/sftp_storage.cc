#include "storage/sftp/sftp_storage.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <set>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>

#include "common/retry.h"
#include "localfs/temporary_name.h"
#include "storage/fs/fs_key.h"
#include "storage/sftp/sftp_files.h"
#include "storage/sftp/sftp_metadata.h"
#include "storage/sftp/sftp_object_io.h"

namespace walnut::sftp {
namespace {

// A directory can be removed by a concurrent Delete() of its last object between our mkdir and
// our open; that many rounds of "create, retry" settle it (as the directory backend).
constexpr int kCreateAttempts = 8;
constexpr size_t kMaxSidecarBytes = 64 * 1024;
// Deletes of more keys than this spread over several connections.
constexpr size_t kKeysPerDeleteWorker = 64;

std::chrono::system_clock::time_point TimeOf(int64_t seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

// `allow_temporary`: also the names ListTemporaryFiles reports (temporary files, orphan
// sidecars), which Delete() takes.
void CheckKey(std::string_view key, bool allow_temporary = false) {
  CheckFsObjectKey(key, allow_temporary);
  if (!allow_temporary && IsSidecarName(BaseName(key))) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("object key '{}' uses a name reserved for metadata sidecars", key));
  }
}

// Requests that failed on the connection (reset, closed, timed out) are tried again on a new one;
// the server's own refusals are final. Retried here already: the last failure is rethrown no
// longer retryable, so callers (wal-fetch, backup-fetch) do not start over and multiply the time
// a dead server costs, as S3's and Azure's requests.
template <class Fn>
auto Retried(const SftpOptions& options, std::string_view what, Fn fn) -> decltype(fn()) {
  RetryPolicy policy;
  policy.max_attempts = 4;
  policy.budget = options.timeout;
  std::optional<decltype(fn())> result;
  WithRetriesAccounted(
      policy, what, [&] { result.emplace(fn()); },
      [&] {
        return fmt::format(
            "(WALNUT_STORAGE_RETRY_TIMEOUT={}): check the SFTP server {} and the "
            "network to it",
            SettingDuration(options.timeout), ServerName(options));
      });
  return std::move(*result);
}

struct DirCloser {
  void operator()(sftp_dir dir) const { Ssh().sftp_closedir(dir); }
};
using DirPtr = std::unique_ptr<sftp_dir_struct, DirCloser>;

}  // namespace

struct SftpStorage::Entry {
  std::string sort_key;  // a directory sorts as "name/", as its keys do among their siblings
  std::string name;
  bool is_dir = false;
  uint64_t size = 0;
  int64_t mtime = 0;
};

SftpStorage::SftpStorage(SftpOptions options) : pool_(options), root_(std::move(options.root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string SftpStorage::Describe() const {
  const SftpOptions& o = pool_.options();
  std::string user = o.user.empty() ? "" : o.user + "@";
  if (root_.empty()) return fmt::format("ssh://{}{}:{}/~", user, o.host, o.port);
  return fmt::format("ssh://{}{}:{}{}", user, o.host, o.port, root_);
}

std::string SftpStorage::PathOf(std::string_view key) const { return JoinPath(root_, key); }

void SftpStorage::CheckConnection() {
  Retried(pool_.options(), "connect", [&] { return pool_.Acquire() != nullptr; });
}

std::map<std::string, std::string> SftpStorage::TrustedMetadata(SftpLease& lease,
                                                                const std::string& path,
                                                                uint64_t size,
                                                                int64_t mtime) const {
  std::optional<std::string> bytes = ReadSmallFile(lease, SidecarPathOf(path), kMaxSidecarBytes);
  if (!bytes) return {};
  std::optional<Sidecar> sidecar = DecodeSidecar(*bytes);
  // A sidecar of other bytes (the file was replaced since) describes nothing here.
  if (!sidecar || sidecar->size != size || sidecar->mtime != mtime) return {};
  return std::move(sidecar->metadata);
}

std::unique_ptr<StorageReader> SftpStorage::Get(std::string_view key, ByteRange range) {
  CheckKey(key);
  return Retried(pool_.options(), fmt::format("get {}", key), [&] { return GetOnce(key, range); });
}

std::unique_ptr<StorageReader> SftpStorage::GetOnce(std::string_view key, ByteRange range) {
  std::string path = PathOf(key);
  auto not_found = [&] {
    return Error(ErrorCode::kNotFound, fmt::format("object {} not found in {}", key, Describe()));
  };
  std::unique_ptr<SftpLease> lease = pool_.Acquire();
  SftpConnection::Busy busy(**lease);
  FilePtr file = OpenForReading(*lease, path);
  if (!file) throw not_found();
  AttributesPtr attributes(Ssh().sftp_fstat(file.get()));
  if (!attributes) throw lease->Fail("cannot stat", path);
  RemoteStat st = StatOf(*attributes);
  if (!st.regular) throw not_found();
  std::map<std::string, std::string> metadata = TrustedMetadata(*lease, path, st.size, st.mtime);
  uint64_t offset = std::min(range.offset, st.size);
  std::optional<uint64_t> length = range.length;
  // The size is known: no request past the end, and an empty range asks nothing.
  uint64_t available = st.size - offset;
  if (!length || *length > available) length = available;
  return std::make_unique<SftpObjectReader>(std::move(lease), std::move(file), std::move(path),
                                            offset, length, std::move(metadata));
}

std::optional<ObjectInfo> SftpStorage::Stat(std::string_view key) {
  CheckKey(key);
  return Retried(pool_.options(), fmt::format("stat {}", key), [&] { return StatOnce(key); });
}

std::optional<ObjectInfo> SftpStorage::StatOnce(std::string_view key) {
  std::string path = PathOf(key);
  std::unique_ptr<SftpLease> lease = pool_.Acquire();
  SftpConnection::Busy busy(**lease);
  std::optional<RemoteStat> st = StatPath(*lease, path);
  if (!st || !st->regular) return std::nullopt;
  return ObjectInfo{std::string(key), st->size, TimeOf(st->mtime), false,
                    TrustedMetadata(*lease, path, st->size, st->mtime)};
}

std::unique_ptr<Writer> SftpStorage::Put(std::string_view key, const PutOptions& options) {
  CheckKey(key);
  std::string path = PathOf(key);
  std::string dir = ParentOf(path);
  std::string temp = JoinPath(dir, MakeTemporaryName(BaseName(path)));
  std::unique_ptr<SftpLease> lease = pool_.Acquire();
  SftpConnection::Busy busy(**lease);
  for (int attempt = 1;; ++attempt) {
    FilePtr file(
        Ssh().sftp_open((*lease)->sftp(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0640));
    if (file) {
      return std::make_unique<SftpObjectWriter>(std::move(lease), std::move(file), std::move(path),
                                                std::move(temp), options.metadata,
                                                options.late_metadata);
    }
    int status = (*lease)->LastStatus();
    bool missing_dir = status == SSH_FX_NO_SUCH_FILE || status == SSH_FX_NO_SUCH_PATH;
    if (!missing_dir || attempt == kCreateAttempts || dir.empty()) {
      throw lease->Fail("cannot create", temp);
    }
    MakeDirectories(*lease, root_.empty() ? dir : root_, dir);
  }
}

std::vector<SftpStorage::Entry> SftpStorage::ReadDirectory(const std::string& dir_key,
                                                           std::string_view name_prefix,
                                                           bool temporaries) {
  return Retried(pool_.options(), fmt::format("list {}", dir_key.empty() ? "/" : dir_key),
                 [&] { return ReadDirectoryOnce(dir_key, name_prefix, temporaries); });
}

std::vector<SftpStorage::Entry> SftpStorage::ReadDirectoryOnce(const std::string& dir_key,
                                                               std::string_view name_prefix,
                                                               bool temporaries) {
  std::vector<Entry> entries;
  // Looking for leftovers: a sidecar whose object is gone (deleted by WAL-G) is one too.
  std::set<std::string> objects;
  std::vector<Entry> sidecars;
  std::string path = dir_key.empty() ? (root_.empty() ? "." : root_) : PathOf(dir_key);
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  std::unique_ptr<SftpLease> lease = pool_.Acquire();
  // Each request is timed on its own (SftpConnection::Busy): a directory of millions of WAL
  // segments may take longer than the timeout to read whole.
  std::optional<SftpConnection::Busy> busy(std::in_place, **lease);
  DirPtr dir(Ssh().sftp_opendir((*lease)->sftp(), path.c_str()));
  if (!dir) {
    int status = (*lease)->LastStatus();
    if (status == SSH_FX_NO_SUCH_FILE || status == SSH_FX_NO_SUCH_PATH) return entries;
    throw lease->Fail("cannot list directory", path);
  }
  while (true) {
    busy.reset();
    busy.emplace(**lease);
    AttributesPtr attributes(Ssh().sftp_readdir((*lease)->sftp(), dir.get()));
    if (!attributes) {
      if (Ssh().sftp_dir_eof(dir.get()) != 0) break;
      throw lease->Fail("cannot list directory", path);
    }
    std::string_view name = attributes->name != nullptr ? attributes->name : "";
    if (name.empty() || name == "." || name == "..") continue;
    bool temporary = IsTemporaryName(name);
    bool sidecar = IsSidecarName(name);
    if (!temporaries && (temporary || sidecar)) continue;
    // Every object counts for the orphan check, whatever the prefix.
    if (!name.starts_with(name_prefix) && !(temporaries && !temporary && !sidecar)) continue;
    RemoteStat st = StatOf(*attributes);
    if (attributes->type == SSH_FILEXFER_TYPE_SYMLINK) {
      // Followed to a regular file only: a link to a directory could loop.
      std::optional<RemoteStat> target = StatPath(*lease, JoinPath(path, name));
      if (!target || !target->regular) continue;
      st = *target;
    }
    if (st.regular && temporaries && !temporary) {
      if (sidecar) {
        if (name.starts_with(name_prefix)) {
          sidecars.push_back(Entry{std::string(name), std::string(name), false, st.size, st.mtime});
        }
      } else {
        objects.insert(std::string(name));
      }
      continue;
    }
    if (!name.starts_with(name_prefix)) continue;
    if (st.regular) {
      if (temporary != temporaries) continue;
      entries.push_back(Entry{std::string(name), std::string(name), false, st.size, st.mtime});
    } else if (st.directory && !temporary) {
      entries.push_back(Entry{fmt::format("{}/", name), std::string(name), true, 0, 0});
    }
  }
  for (Entry& entry : sidecars) {
    // ".name.walnut-meta" describes "name".
    if (!objects.count(SidecarObjectName(entry.name))) entries.push_back(std::move(entry));
  }
  // Byte-wise: the order of S3's UTF-8 keys.
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.sort_key < b.sort_key; });
  return entries;
}

void SftpStorage::List(std::string_view prefix, const ListOptions& options,
                       const std::function<void(const ObjectInfo&)>& fn) {
  FsListScope scope = SplitFsListPrefix(prefix);
  ListDirectory(scope.dir_key, scope.name_prefix, options.recursive, false, fn);
}

void SftpStorage::ListTemporaryFiles(std::string_view prefix, const ListOptions& options,
                                     const std::function<void(const ObjectInfo&)>& fn) {
  FsListScope scope = SplitFsListPrefix(prefix);
  ListDirectory(scope.dir_key, scope.name_prefix, options.recursive, true, fn);
}

void SftpStorage::ListDirectory(const std::string& dir_key, std::string_view name_prefix,
                                bool recursive, bool temporaries,
                                const std::function<void(const ObjectInfo&)>& fn) {
  // The directory is read whole and its connection returned before fn runs or we descend: fn
  // may use the storage, and a deep tree holds one connection at a time.
  std::vector<Entry> entries = ReadDirectory(dir_key, name_prefix, temporaries);
  for (const Entry& entry : entries) {
    std::string key = dir_key + entry.name;
    if (!entry.is_dir) {
      fn(ObjectInfo{std::move(key), entry.size, TimeOf(entry.mtime), false, {}});
    } else if (recursive) {
      ListDirectory(key + "/", "", true, temporaries, fn);
    } else if (!temporaries && ContainsObjects(key + "/")) {
      // An object store has no empty "directories"; neither do we report one.
      fn(ObjectInfo{key + "/", 0, {}, true, {}});
    }
  }
}

bool SftpStorage::ContainsObjects(const std::string& dir_key) {
  std::vector<Entry> entries = ReadDirectory(dir_key, "", false);
  for (const Entry& entry : entries) {
    if (!entry.is_dir) return true;
  }
  return std::any_of(entries.begin(), entries.end(), [&](const Entry& entry) {
    return ContainsObjects(fmt::format("{}{}/", dir_key, entry.name));
  });
}

void SftpStorage::Delete(std::span<const std::string> keys) {
  for (const std::string& key : keys) CheckKey(key, /*allow_temporary=*/true);
  size_t workers = std::min(pool_.options().max_connections,
                            (keys.size() + kKeysPerDeleteWorker - 1) / kKeysPerDeleteWorker);
  if (workers <= 1) {
    DeleteKeys(keys);
    return;
  }
  // Interleaved shares, each on its own connection: round trips overlap.
  std::vector<std::vector<std::string>> shares(workers);
  for (size_t i = 0; i < keys.size(); ++i) shares[i % workers].push_back(keys[i]);
  std::vector<std::exception_ptr> errors(workers);
  {
    std::vector<std::jthread> threads;
    for (size_t w = 0; w < workers; ++w) {
      threads.emplace_back([&, w] {
        try {
          DeleteKeys(shares[w]);
        } catch (...) {
          errors[w] = std::current_exception();
        }
      });
    }
  }
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

void SftpStorage::DeleteKeys(std::span<const std::string> keys) {
  // Deleting twice is harmless, so a broken connection retries the keys not done yet.
  size_t done = 0;
  Retried(pool_.options(), "delete", [&] {
    DeleteKeysOnce(keys.subspan(done), done);
    return true;
  });
}

void SftpStorage::DeleteKeysOnce(std::span<const std::string> keys, size_t& done) {
  std::unique_ptr<SftpLease> lease = pool_.Acquire();
  for (const std::string& key : keys) {
    SftpConnection::Busy busy(**lease);  // per key: a long list may take longer than the timeout
    std::string path = PathOf(key);
    if (!IsTemporaryName(BaseName(key)) && !IsSidecarName(BaseName(key))) {
      RemoveFile(*lease, SidecarPathOf(path));
    }
    if (Ssh().sftp_unlink((*lease)->sftp(), path.c_str()) != 0) {
      int status = (*lease)->LastStatus();
      if (status == SSH_FX_NO_SUCH_FILE || status == SSH_FX_NO_SUCH_PATH) {
        ++done;
        continue;
      }
      // "a" when only "a/b" exists is, as in an object store, simply not an object.
      std::optional<RemoteStat> st = StatPath(*lease, path);
      if (!st || st->directory) {
        ++done;
        continue;
      }
      throw lease->Fail("cannot delete", path);
    }
    // Remove the directories left empty, never the root; rmdir of a non-empty one fails and
    // ends the walk (a concurrent Put recreates what it needs).
    std::string_view rest = key;
    while (true) {
      size_t slash = rest.rfind('/');
      if (slash == std::string_view::npos) break;
      rest = rest.substr(0, slash);
      if (Ssh().sftp_rmdir((*lease)->sftp(), PathOf(rest).c_str()) != 0) break;
    }
    ++done;
  }
}

bool SftpStorage::Supports(StorageFeature feature) const {
  switch (feature) {
    case StorageFeature::kAtomicRename:
    case StorageFeature::kLateMetadata:  // the sidecar is written at Close
      return true;
    case StorageFeature::kBatchDelete:
    case StorageFeature::kLocal:
    case StorageFeature::kVersions:
    case StorageFeature::kPrefixListing:
      return false;
  }
  return false;
}

}  // namespace walnut::sftp
