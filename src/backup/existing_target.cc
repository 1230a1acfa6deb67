#include "backup/existing_target.h"

#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <set>

#include <fcntl.h>
#include <fmt/format.h>

#include "common/error.h"
#include "common/excerpt.h"
#include "common/mutex.h"
#include "concurrency/task_group.h"
#include "io/digest.h"
#include "localfs/local_file_reader.h"
#include "localfs/paths.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;

constexpr size_t kHashBufferSize = 1024 * 1024;
constexpr size_t kPidFileMax = 4096;
// PG_CONTROL_FILE_SIZE: pg_control is written padded to this size.
constexpr size_t kControlFileMax = 8192;

bool ProcessAlive(int64_t pid) {
  if (pid <= 0 || pid > INT32_MAX) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

int64_t Seconds(std::chrono::system_clock::time_point time) {
  return std::chrono::floor<std::chrono::seconds>(time.time_since_epoch()).count();
}

std::string HashFile(LocalFs& fs, const std::string& path, uint64_t& bytes) {
  LocalFile file;
  if (int err = fs.Open(path, O_RDONLY | O_NOFOLLOW, 0, file)) {
    ThrowSystemError("cannot read", path, err);
  }
  Sha256Hasher hasher;
  std::vector<std::byte> buffer(kHashBufferSize);
  for (;;) {
    size_t n = file.Read(buffer);
    if (n == 0) break;
    hasher.Update(ConstByteSpan(buffer.data(), n));
    bytes += n;
  }
  return hasher.Finish().Hex();
}

}  // namespace

DeltaVerdict CompareExistingFile(const BackupFileFacts& backup, const LocalFileFacts& local,
                                 DeltaCheck check) {
  if (local.type != FileType::kRegular) return DeltaVerdict::kRewrite;
  if (backup.size && *backup.size != local.size) return DeltaVerdict::kRewrite;
  if (check == DeltaCheck::kSizeAndMtime && backup.size && backup.mtime &&
      *backup.mtime == local.mtime) {
    return DeltaVerdict::kKeep;
  }
  // Without a recorded SHA-256 of the whole content (an increment, a WAL-G backup) equality
  // cannot be shown: the file is restored.
  if (backup.sha256_hex.empty()) return DeltaVerdict::kRewrite;
  return DeltaVerdict::kHash;
}

void RefuseLivePostmaster(LocalFs& fs, const fs::path& dir,
                          const std::function<bool(int64_t)>& alive) {
  std::string path = (dir / "postmaster.pid").string();
  std::optional<std::string> content =
      ReadSmallFileIfPresent(fs, path, kPidFileMax, "postmaster.pid");
  if (!content) return;
  std::string first = content->substr(0, content->find('\n'));
  int64_t pid = 0;
  try {
    size_t used = 0;
    pid = std::stoll(first, &used);
    if (used != first.size()) pid = 0;
  } catch (const std::exception&) {
    pid = 0;
  }
  // PostgreSQL writes a negative PID for a single-user backend.
  int64_t process = pid < 0 ? -pid : pid;
  if (process == 0) {
    throw Error(ErrorCode::kFailedPrecondition,
                fmt::format("{} does not start with a process id ('{}'): cannot tell whether "
                            "PostgreSQL runs in {}; stop it, or remove the file if it does not run",
                            path, Excerpt(first), dir.string()));
  }
  if (alive ? alive(process) : ProcessAlive(process)) {
    throw Error(ErrorCode::kFailedPrecondition,
                fmt::format("PostgreSQL (pid {}, {}) is running in {}: stop it before restoring "
                            "into that directory",
                            process, path, dir.string()));
  }
}

std::optional<uint64_t> ReadControlSystemIdentifier(LocalFs& fs, const fs::path& dir) {
  std::string path = (dir / "global" / "pg_control").string();
  std::optional<std::string> content =
      ReadSmallFileIfPresent(fs, path, kControlFileMax, "pg_control");
  if (!content) return std::nullopt;
  if (content->size() < sizeof(uint64_t)) {
    throw Error(ErrorCode::kCorruption,
                fmt::format("{} is too short ({} bytes) to hold a system identifier", path,
                            content->size()));
  }
  uint64_t id = 0;
  for (size_t i = sizeof(uint64_t); i-- > 0;) {
    id = (id << 8) | static_cast<unsigned char>((*content)[i]);
  }
  return id;
}

ExistingTargetResult ReconcileExistingTarget(
    LocalFs& fs, const fs::path& target,
    const std::unordered_map<std::string, BackupFileFacts>& expected,
    const ExistingTargetOptions& options) {
  ExistingTargetResult result;
  std::vector<std::pair<std::string, const BackupFileFacts*>> to_hash;
  std::set<std::string> changed_directories;

  auto remove = [&](const std::string& relative, const std::string& parent) {
    RemoveTree(fs, (target / relative).string());
    ++result.removed;
    changed_directories.insert(parent);
  };

  // Depth first; `relative` is "" for the target itself.
  std::function<void(const std::string&)> visit = [&](const std::string& relative) {
    fs::path dir = relative.empty() ? target : target / relative;
    std::vector<DirectoryEntry> entries;
    if (int err = fs.ListDirectory(dir.string(), entries)) {
      ThrowSystemError("cannot list", dir.string(), err);
    }
    for (const DirectoryEntry& entry : entries) {
      std::string path = relative.empty() ? entry.name : relative + "/" + entry.name;
      if (options.leave_alone.count(path) != 0) continue;
      FileStat stat;
      if (int err = fs.Stat((target / path).string(), stat, /*follow_links=*/false)) {
        if (err == ENOENT) continue;
        ThrowSystemError("cannot read", (target / path).string(), err);
      }
      auto it = expected.find(path);
      if (it == expected.end()) {
        remove(path, relative);
        continue;
      }
      const BackupFileFacts& facts = it->second;
      if (stat.type == FileType::kDirectory) {
        if (facts.regular) {
          remove(path, relative);
        } else {
          result.present.insert(path);
          visit(path);
        }
        continue;
      }
      if (!facts.regular) {
        if (stat.type == FileType::kSymlink) {
          result.present.insert(path);  // the backup's link is made again when its tar is read
        } else {
          remove(path, relative);  // a file where the backup has a directory
        }
        continue;
      }
      LocalFileFacts local{stat.type, stat.size, Seconds(stat.mtime)};
      switch (CompareExistingFile(facts, local, options.check)) {
        case DeltaVerdict::kKeep:
          result.kept.insert(path);
          break;
        case DeltaVerdict::kHash:
          to_hash.emplace_back(path, &facts);
          break;
        case DeltaVerdict::kRewrite:
          // Rewritten in place (O_TRUNC) when a regular file; anything else goes first.
          if (stat.type != FileType::kRegular) remove(path, relative);
          break;
      }
    }
  };
  visit("");

  Mutex mu;
  {
    TaskGroup group(static_cast<size_t>(std::max(1, options.concurrency)));
    for (const auto& [path, facts] : to_hash) {
      group.Submit([&, path = path, facts = facts](std::stop_token stop) {
        if (stop.stop_requested()) return;
        std::string full = (target / path).string();
        uint64_t bytes = 0;
        std::string actual = HashFile(fs, full, bytes);
        bool equal = actual == facts->sha256_hex;
        if (equal && facts->mtime) {
          FileStat stat;
          if (fs.Stat(full, stat, false) == 0 && Seconds(stat.mtime) != *facts->mtime) {
            if (int err = fs.SetMtime(full, *facts->mtime)) {
              ThrowSystemError("cannot set the mtime of", full, err);
            }
          }
        }
        MutexLock lock(mu);
        ++result.files_hashed;
        result.bytes_hashed += bytes;
        if (equal) result.kept.insert(path);
      });
    }
    group.Wait();
  }
  for (const auto& [path, facts] : expected) {
    if (facts.regular && result.kept.count(path) == 0) ++result.rewrite;
  }
  if (options.fsync) {
    for (const std::string& dir : changed_directories) {
      SyncDirectoryOrThrow(fs, (dir.empty() ? target : target / dir).string());
    }
  }
  return result;
}

}  // namespace walnut
