#include "storage/fs/fs_storage.h"

#include <algorithm>
#include <cerrno>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "localfs/atomic_file_writer.h"
#include "localfs/file_metadata.h"
#include "localfs/local_file_reader.h"
#include "localfs/paths.h"
#include "localfs/temporary_name.h"
#include "storage/fs/fs_key.h"
#include "storage/fs/fs_object_io.h"

namespace walnut {
namespace {

// A directory created by CreateDirectories() can be removed again by a concurrent Delete() of
// its last object before our file lands in it; that many rounds of "create, retry" settle it.
constexpr int kCreateAttempts = 8;

std::chrono::system_clock::time_point MtimeOf(const struct stat& st) {
  auto since_epoch =
      std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
}

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

struct DirEntry {
  std::string sort_key;  // a directory sorts as "name/", as its keys do among their siblings
  std::string name;
  bool is_dir = false;
  uint64_t size = 0;
  std::chrono::system_clock::time_point mtime;
};

// Opens a directory for listing; nullptr when it does not exist (nothing to list).
DirPtr OpenDirectory(const std::string& path) {
  DirPtr dir(::opendir(path.c_str()));
  if (!dir && errno != ENOENT && errno != ENOTDIR) {
    ThrowSystemError("cannot list directory", path, errno);
  }
  return dir;
}

// Calls fn(entry) for each entry of `dir` except "." and ".."; throws on a read error.
template <class Fn>
void ForEachEntry(DIR* dir, const std::string& path, Fn fn) {
  while (true) {
    errno = 0;
    const dirent* entry = ::readdir(dir);
    if (entry == nullptr) {
      if (errno != 0) ThrowSystemError("cannot list directory", path, errno);
      return;
    }
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    fn(*entry);
  }
}

// The regular files and real directories of `path` whose names start with `name_prefix`, in key
// order. Temporary files (or, with `temporaries`, all other files), symlinks to directories
// (possible loops) and special files are left out.
std::vector<DirEntry> ReadDirectory(const std::string& path, std::string_view name_prefix,
                                    bool temporaries) {
  std::vector<DirEntry> entries;
  DirPtr dir = OpenDirectory(path);
  if (!dir) return entries;
  int dir_fd = ::dirfd(dir.get());
  ForEachEntry(dir.get(), path, [&](const dirent& entry) {
    std::string_view name = entry.d_name;
    if (!name.starts_with(name_prefix)) return;
    bool temporary = IsTemporaryName(name);
    if (temporary && !temporaries) return;
    // Looking for temporary files only, a plain file needs no stat (wal_005/ holds millions).
    if (temporaries && !temporary && entry.d_type == DT_REG) return;
    struct stat st {};
    if (::fstatat(dir_fd, entry.d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return;  // deleted since readdir()
      ThrowSystemError("cannot stat", fmt::format("{}/{}", path, name), errno);
    }
    if (S_ISLNK(st.st_mode)) {
      if (::fstatat(dir_fd, entry.d_name, &st, 0) != 0 || !S_ISREG(st.st_mode)) return;
    }
    if (S_ISREG(st.st_mode)) {
      if (temporary != temporaries) return;
      entries.push_back(DirEntry{std::string(name), std::string(name), false,
                                 static_cast<uint64_t>(st.st_size), MtimeOf(st)});
    } else if (S_ISDIR(st.st_mode)) {
      entries.push_back(DirEntry{fmt::format("{}/", name), std::string(name), true, 0, {}});
    }
  });
  // std::string compares as unsigned bytes: the same order as S3's UTF-8 key order.
  std::sort(entries.begin(), entries.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.sort_key < b.sort_key; });
  return entries;
}

}  // namespace

FsStorage::FsStorage(const std::filesystem::path& root, LocalFs& fs) : fs_(fs) {
  if (root.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "file storage root is empty; set WALG_FILE_PREFIX to a directory");
  }
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(root, ec);
  if (ec) ThrowSystemError("cannot resolve storage root", root.string(), ec.value());
  root_ = absolute.lexically_normal().string();
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  FileStat st;
  if (fs_.Stat(root_, st, /*follow_links=*/true) == 0 && st.type != FileType::kDirectory) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("storage root {} exists but is not a directory", root_));
  }
}

std::string FsStorage::Describe() const { return "file://" + root_; }

std::string FsStorage::PathOf(std::string_view key) const {
  return root_ == "/" ? fmt::format("/{}", key) : fmt::format("{}/{}", root_, key);
}

std::unique_ptr<StorageReader> FsStorage::Get(std::string_view key, ByteRange range) {
  CheckFsObjectKey(key);
  std::string path = PathOf(key);
  auto not_found = [&] {
    return Error(ErrorCode::kNotFound, fmt::format("object {} not found in {}", key, Describe()));
  };
  // O_NONBLOCK: a FIFO planted under the root must not hang us; it is rejected below.
  LocalFile file;
  if (int err = fs_.Open(path, O_RDONLY | O_NONBLOCK, 0, file)) {
    if (err == ENOENT || err == ENOTDIR) throw not_found();
    ThrowSystemError("cannot open", path, err);
  }
  FileStat st = file.Stat();
  if (st.type != FileType::kRegular) throw not_found();
  uint64_t begin = std::min(range.offset, st.size);
  uint64_t end = st.size;
  if (range.length && *range.length < st.size - begin) end = begin + *range.length;
  // Only a hint for read-ahead; failure changes nothing.
  ::posix_fadvise(file.fd(), static_cast<off_t>(begin), static_cast<off_t>(end - begin),
                  POSIX_FADV_SEQUENTIAL);
  std::map<std::string, std::string> metadata = ReadFileMetadata(file.fd(), path);
  return std::make_unique<FsObjectReader>(
      std::make_unique<LocalFileReader>(std::move(file), begin, end), std::move(metadata));
}

std::optional<ObjectInfo> FsStorage::Stat(std::string_view key) {
  CheckFsObjectKey(key);
  std::string path = PathOf(key);
  FileStat st;
  if (int err = fs_.Stat(path, st, /*follow_links=*/true)) {
    if (err == ENOENT || err == ENOTDIR) return std::nullopt;
    ThrowSystemError("cannot stat", path, err);
  }
  if (st.type != FileType::kRegular) return std::nullopt;
  return ObjectInfo{std::string(key), st.size, st.mtime, false, ReadFileMetadata(path)};
}

std::unique_ptr<Writer> FsStorage::Put(std::string_view key, const PutOptions& options) {
  std::unique_ptr<AtomicFileWriter> writer = CreateWriter(key);
  if (!options.metadata.empty()) {
    // On the temporary file, so that the object and its metadata appear together.
    try {
      WriteFileMetadata(writer->file().fd(), PathOf(key), options.metadata);
    } catch (...) {
      writer->Abort();
      throw;
    }
  }
  if (!options.late_metadata) return writer;
  return std::make_unique<FsObjectWriter>(std::move(writer), PathOf(key), options.late_metadata);
}

std::unique_ptr<AtomicFileWriter> FsStorage::CreateWriter(std::string_view key) const {
  CheckFsObjectKey(key);
  std::string path = PathOf(key);
  for (int attempt = 1;; ++attempt) {
    try {
      return AtomicFileWriter::Create(fs_, path);
    } catch (const Error& e) {
      // Only a missing directory is worth another try; the writer names the path otherwise.
      if (e.code() != ErrorCode::kNotFound || attempt == kCreateAttempts) throw;
    }
    CreateDirectories(fs_, DirName(path), 0750, /*sync=*/true);
  }
}

void FsStorage::List(std::string_view prefix, const ListOptions& options,
                     const std::function<void(const ObjectInfo&)>& fn) {
  FsListScope scope = SplitFsListPrefix(prefix);
  ListDirectory(scope.dir_key, scope.name_prefix, options.recursive, false, fn);
}

void FsStorage::ListTemporaryFiles(std::string_view prefix, const ListOptions& options,
                                   const std::function<void(const ObjectInfo&)>& fn) {
  FsListScope scope = SplitFsListPrefix(prefix);
  ListDirectory(scope.dir_key, scope.name_prefix, options.recursive, true, fn);
}

void FsStorage::ListDirectory(const std::string& dir_key, std::string_view name_prefix,
                              bool recursive, bool temporaries,
                              const std::function<void(const ObjectInfo&)>& fn) const {
  // The directory is read and closed before fn runs or we descend: open descriptors stay bounded
  // and fn may modify the storage.
  std::vector<DirEntry> entries = ReadDirectory(PathOf(dir_key), name_prefix, temporaries);
  for (const DirEntry& entry : entries) {
    std::string key = dir_key + entry.name;
    if (!entry.is_dir) {
      fn(ObjectInfo{std::move(key), entry.size, entry.mtime, false, {}});
    } else if (recursive) {
      ListDirectory(key + "/", "", true, temporaries, fn);
    } else if (!temporaries && ContainsObjects(key + "/")) {
      // An object store has no empty "directories"; neither do we report one.
      fn(ObjectInfo{key + "/", 0, {}, true, {}});
    }
  }
}

bool FsStorage::ContainsObjects(const std::string& dir_key) const {
  std::string path = PathOf(dir_key);
  DirPtr dir = OpenDirectory(path);
  if (!dir) return false;
  int dir_fd = ::dirfd(dir.get());
  bool found = false;
  std::vector<std::string> subdirs;
  ForEachEntry(dir.get(), path, [&](const dirent& entry) {
    if (found || IsTemporaryName(entry.d_name)) return;
    unsigned char type = entry.d_type;
    if (type == DT_LNK || type == DT_UNKNOWN) {
      struct stat st {};
      if (::fstatat(dir_fd, entry.d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) return;
      if (S_ISLNK(st.st_mode)) {
        type = ::fstatat(dir_fd, entry.d_name, &st, 0) == 0 && S_ISREG(st.st_mode) ? DT_REG
                                                                                   : DT_UNKNOWN;
      } else {
        type = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : DT_UNKNOWN;
      }
    }
    if (type == DT_REG) found = true;
    if (type == DT_DIR) subdirs.push_back(fmt::format("{}{}/", dir_key, entry.d_name));
  });
  dir.reset();
  if (found) return true;
  return std::any_of(subdirs.begin(), subdirs.end(),
                     [&](const std::string& sub) { return ContainsObjects(sub); });
}

void FsStorage::Delete(std::span<const std::string> keys) {
  for (const std::string& key : keys) CheckFsObjectKey(key, /*allow_temporary=*/true);
  for (const std::string& key : keys) {
    std::string path = PathOf(key);
    if (int err = fs_.Unlink(path)) {
      // EISDIR: "a" when only "a/b" exists is, as in an object store, simply not an object.
      if (err == ENOENT || err == ENOTDIR || err == EISDIR) continue;
      ThrowSystemError("cannot delete", path, err);
    }
    RemoveEmptyParents(key);
  }
}

void FsStorage::RemoveEmptyParents(std::string_view key) const {
  // Best effort and never past the root: rmdir() refuses non-empty directories, which ends the
  // walk, and a concurrent Put() that loses its directory recreates it (see CreateWriter).
  while (true) {
    size_t slash = key.rfind('/');
    if (slash == std::string_view::npos) return;
    key = key.substr(0, slash);
    if (fs_.RemoveDirectory(PathOf(key)) != 0) return;
  }
}

bool FsStorage::Supports(StorageFeature feature) const {
  switch (feature) {
    case StorageFeature::kAtomicRename:
    case StorageFeature::kLocal:
    case StorageFeature::kLateMetadata:  // extended attributes, set before the rename
      return true;
    case StorageFeature::kBatchDelete:
    case StorageFeature::kVersions:
    case StorageFeature::kPrefixListing:
      return false;
  }
  return false;
}

}  // namespace walnut
