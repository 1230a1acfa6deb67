#include "backup/extractor.h"

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>
#include <utility>

#include <fcntl.h>
#include <fmt/format.h>
#include <fnmatch.h>

#include "common/error.h"
#include "common/excerpt.h"
#include "concurrency/async_writer.h"
#include "io/digest.h"
#include "localfs/paths.h"
#include "pipeline/stage_buffers.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;

constexpr size_t kWriteBufferSize = 512 * 1024;
constexpr std::string_view kTemporarySuffix = ".walnut-tmp";
// Files at least this large are hashed on a thread of their own while the extracting thread
// writes them (a thread per small file would cost more than it saves). The writes stay on the
// extracting thread: write() copies from a buffer still in this core's cache, and SHA-256 minds a
// cold buffer much less than that copy does.
constexpr uint64_t kAsyncHashMinSize = 4 * 1024 * 1024;

// The end of a hashing stage: hashes what it is given.
class HashSink : public Writer {
 public:
  explicit HashSink(Sha256Hasher& hasher) : hasher_(hasher) {}
  void Write(ConstByteSpan src) override { hasher_.Update(src); }
  void Close() override {}
  void Abort() noexcept override {}

 private:
  Sha256Hasher& hasher_;
};

// Where an entry's bytes go to be hashed: a thread of its own for large entries. Null without a
// hasher. Close() it before finishing the hasher.
std::unique_ptr<Writer> MakeHashStage(Sha256Hasher* hasher, uint64_t size) {
  if (hasher == nullptr) return nullptr;
  if (size < kAsyncHashMinSize) return std::make_unique<HashSink>(*hasher);
  return std::make_unique<AsyncWriter>(std::make_unique<HashSink>(*hasher), kStageBufferSize,
                                       kStageDepth);
}

// The content of a tar entry, hashed as it is read (a patch reads it through this).
class HashingContent : public Reader {
 public:
  HashingContent(Reader& next, Writer* hash_stage) : next_(next), hash_stage_(hash_stage) {}
  size_t Read(ByteSpan dst) override {
    size_t n = next_.Read(dst);
    if (hash_stage_ != nullptr) hash_stage_->Write(ConstByteSpan(dst.data(), n));
    return n;
  }

 private:
  Reader& next_;
  Writer* hash_stage_;
};

std::string ParentOf(const std::string& relative) {
  size_t slash = relative.rfind('/');
  return slash == std::string::npos ? "" : relative.substr(0, slash);
}

bool IsDirectory(LocalFs& local, const fs::path& path) {
  FileStat stat;
  return local.Stat(path.string(), stat, /*follow_links=*/true) == 0 &&
         stat.type == FileType::kDirectory;
}

}  // namespace

Extractor::Extractor(LocalFs& fs, fs::path target, std::string backup_name)
    : fs_(fs), target_(std::move(target)), backup_name_(std::move(backup_name)) {}

void Extractor::Expect(std::string_view path, std::string_view sha256_hex) {
  std::optional<std::string> relative = NormalizeTarPath(path);
  if (!relative || relative->empty()) {
    throw Error(ErrorCode::kCorruption,
                fmt::format("backup {}: files_metadata.json lists an unsafe path '{}'",
                            backup_name_, Excerpt(path)));
  }
  std::string hex(sha256_hex);
  std::transform(hex.begin(), hex.end(), hex.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  MutexLock lock(mu_);
  Expected& expected = expected_[*relative];
  if (!hex.empty()) expected.sha256_hex = std::move(hex);
}

std::string Extractor::ExpectedSha256(const std::string& relative) {
  MutexLock lock(mu_);
  auto it = expected_.find(relative);
  return it == expected_.end() ? std::string() : it->second.sha256_hex;
}

void Extractor::MarkRestored(const std::string& relative) {
  MutexLock lock(mu_);
  MarkRestoredLocked(relative);
}

void Extractor::MarkPresent(const std::string& path) { MarkRestored(path); }

void Extractor::MarkRestoredLocked(const std::string& relative) {
  auto it = expected_.find(relative);
  if (it != expected_.end()) it->second.restored = true;
}

void Extractor::MakeDirectoriesLocked(const std::string& relative, bool include_self,
                                      const std::string& tar_name) {
  size_t pos = 0;
  for (;;) {
    size_t slash = relative.find('/', pos);
    if (slash == std::string::npos && !include_self) return;
    std::string prefix = slash == std::string::npos ? relative : relative.substr(0, slash);
    if (tar_symlinks_.count(prefix) != 0 || pending_symlinks_.count(prefix) != 0) {
      throw Error(ErrorCode::kCorruption,
                  fmt::format("backup {}: tar {}: entry {} lies below the symbolic link {} of the "
                              "backup; refusing to write through it",
                              backup_name_, tar_name, relative, prefix));
    }
    if (known_directories_.count(prefix) == 0) {
      fs::path path = target_ / prefix;
      if (int err = fs_.MakeDirectory(path.string(), 0700); err == 0) {
        directories_to_sync_.insert(ParentOf(prefix));
      } else if (err != EEXIST || !IsDirectory(fs_, path)) {
        ThrowSystemError("cannot create directory", path.string(), err);
      }
      known_directories_.insert(prefix);
    }
    if (slash == std::string::npos) return;
    pos = slash + 1;
  }
}

void Extractor::EnsureParents(const std::string& relative, const std::string& tar_name) {
  MutexLock lock(mu_);
  MakeDirectoriesLocked(relative, false, tar_name);
  directories_to_sync_.insert(ParentOf(relative));
}

uint64_t Extractor::WriteWhole(TarReader& tar, const TarEntry& entry, LocalFile& file,
                               Sha256Hasher* hasher, std::vector<std::byte>& buffer) {
  std::unique_ptr<Writer> hashing = MakeHashStage(hasher, entry.size);
  uint64_t written = 0;
  for (;;) {
    size_t n = tar.ReadContent(buffer);
    if (n == 0) break;
    ConstByteSpan data(buffer.data(), n);
    if (hashing) hashing->Write(data);
    file.Write(data);
    written += n;
  }
  if (hashing) hashing->Close();  // every byte is hashed
  return written;
}

void Extractor::RestoreFile(TarReader& tar, const TarEntry& entry, const ExtractOptions& options,
                            std::vector<std::byte>& buffer) {
  const std::string& relative = entry.name;
  FilePiece piece;
  if (options.pieces != nullptr) {
    piece = options.pieces->Plan(relative, entry, tar.tar_name());
    if (piece.kind == FilePiece::Kind::kSkip) return;  // Next() skips the content
  } else {
    piece.sha256_hex = ExpectedSha256(relative);
    piece.mode = entry.mode;
    piece.mtime = entry.mtime;
  }
  EnsureParents(relative, tar.tar_name());
  fs::path final_path = target_ / relative;
  fs::path write_path = final_path;
  if (options.atomic_files) write_path += kTemporarySuffix;

  bool patch = piece.kind == FilePiece::Kind::kPatch;
  int flags = patch ? O_RDWR | O_CREAT : O_WRONLY | O_CREAT | O_TRUNC;
  LocalFile file;
  try {
    if (int err = fs_.Open(write_path.string(), flags | O_NOFOLLOW, 0600, file)) {
      ThrowSystemError("cannot create", write_path.string(), err);
    }
    std::optional<Sha256Hasher> hasher;
    if (!piece.sha256_hex.empty()) hasher.emplace();
    uint64_t written = 0;
    if (patch) {
      std::unique_ptr<Writer> hashing = MakeHashStage(hasher ? &*hasher : nullptr, entry.size);
      HashingContent content(tar.content(), hashing.get());
      options.pieces->Patch(relative, entry, content, file, tar.tar_name());
      while (content.Read(buffer) != 0) {
      }
      if (hashing) hashing->Close();  // every byte is hashed
      written = entry.size;
    } else {
      written = WriteWhole(tar, entry, file, hasher ? &*hasher : nullptr, buffer);
    }
    if (hasher) {
      std::string actual = hasher->Finish().Hex();
      if (actual != piece.sha256_hex) {
        throw Error(ErrorCode::kCorruption,
                    fmt::format("backup {}: file {} from tar {} does not match its checksum: "
                                "files_metadata.json records SHA-256 {}, the tar holds {}",
                                options.backup_name.empty() ? backup_name_ : options.backup_name,
                                relative, tar.tar_name(), piece.sha256_hex, actual));
      }
    }
    bytes_restored_ += written;
    if (!piece.final) {
      file.Close();  // later pieces reopen it; it is synced once, when complete
      return;
    }
    if (int err = fs_.SetMode(write_path.string(), piece.mode & 07777)) {
      ThrowSystemError("cannot set the mode of", write_path.string(), err);
    }
    if (int err = fs_.SetMtime(write_path.string(), piece.mtime)) {
      ThrowSystemError("cannot set the mtime of", write_path.string(), err);
    }
    if (options.fsync && !options.atomic_files) {
      // Synced (and closed) on the syncer's thread; FinishDirectories waits for it.
      syncer_.Submit(std::move(file));
    } else {
      if (options.fsync) file.Sync();
      file.Close();
    }
    if (options.atomic_files) {
      if (int err = fs_.Rename(write_path.string(), final_path.string())) {
        ThrowSystemError(fmt::format("cannot rename {} to", write_path.string()),
                         final_path.string(), err);
      }
    }
  } catch (...) {
    // A file written atomically never stays half-written, not even under its temporary name.
    if (options.atomic_files) {
      if (file.is_open()) fs_.Close(file);
      fs_.Unlink(write_path.string());
    }
    throw;
  }
  MarkRestored(relative);
  ++files_restored_;
}

void Extractor::RestoreDirectory(const TarEntry& entry, const std::string& tar_name) {
  const std::string& relative = entry.name;
  MutexLock lock(mu_);
  directory_metadata_[relative] = PendingDirectory{entry.mode, entry.mtime};
  if (relative.empty()) return;
  MakeDirectoriesLocked(relative, true, tar_name);
  directories_to_sync_.insert(relative);
  MarkRestoredLocked(relative);
}

void Extractor::ExtractTar(Reader& input, const std::string& tar_name,
                           const ExtractOptions& options) {
  TarReader tar(input, tar_name);
  std::vector<std::byte> buffer(kWriteBufferSize);
  while (std::optional<TarEntry> entry = tar.Next()) {
    if (options.skip.count(entry->name) != 0) continue;
    if (options.files_only && entry->type != TarEntry::Type::kRegular) continue;
    if (options.keep != nullptr && entry->type == TarEntry::Type::kRegular &&
        options.keep->count(entry->name) != 0) {
      continue;
    }
    if (entry->type != TarEntry::Type::kDirectory && !options.mask.empty() &&
        ::fnmatch(options.mask.c_str(), entry->name.c_str(), FNM_PATHNAME) != 0) {
      continue;
    }
    switch (entry->type) {
      case TarEntry::Type::kRegular:
        RestoreFile(tar, *entry, options, buffer);
        break;
      case TarEntry::Type::kDirectory:
        RestoreDirectory(*entry, tar_name);
        break;
      case TarEntry::Type::kSymlink: {
        EnsureParents(entry->name, tar_name);
        MutexLock lock(mu_);
        pending_symlinks_[entry->name] = entry->link_target;
        break;
      }
    }
  }
}

void Extractor::FinishDirectories(bool fsync) {
  syncer_.Flush();
  MutexLock lock(mu_);
  for (const auto& [relative, link_target] : pending_symlinks_) {
    fs::path path = target_ / relative;
    int err = fs_.Symlink(link_target, path.string());
    if (err == EEXIST && replace_links_) {
      FileStat existing;
      if (fs_.Stat(path.string(), existing, /*follow_links=*/false) == 0 &&
          existing.type == FileType::kSymlink) {
        err = fs_.Unlink(path.string());
        if (err == 0) err = fs_.Symlink(link_target, path.string());
      }
    }
    if (err != 0) {
      ThrowSystemError("cannot create symbolic link",
                       fmt::format("{} -> {}", path.string(), link_target), err);
    }
    tar_symlinks_.insert(relative);
    MarkRestoredLocked(relative);
    directories_to_sync_.insert(ParentOf(relative));
  }
  pending_symlinks_.clear();
  for (const auto& [relative, metadata] : directory_metadata_) {
    fs::path path = relative.empty() ? target_ : target_ / relative;
    if (int err = fs_.SetMode(path.string(), metadata.mode & 07777)) {
      ThrowSystemError("cannot set the mode of", path.string(), err);
    }
    if (int err = fs_.SetMtime(path.string(), metadata.mtime)) {
      ThrowSystemError("cannot set the mtime of", path.string(), err);
    }
  }
  directory_metadata_.clear();
  if (fsync) {
    for (const std::string& relative : directories_to_sync_) {
      SyncDirectoryOrThrow(fs_, (relative.empty() ? target_ : target_ / relative).string());
    }
  }
  directories_to_sync_.clear();
}

std::vector<std::string> Extractor::Missing(
    const std::function<bool(const std::string&)>& ignore) const {
  std::vector<std::string> missing;
  MutexLock lock(mu_);
  for (const auto& [path, expected] : expected_) {
    if (!expected.restored && !(ignore && ignore(path))) missing.push_back(path);
  }
  std::sort(missing.begin(), missing.end());
  return missing;
}

}  // namespace walnut
