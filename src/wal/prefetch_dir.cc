#include "wal/prefetch_dir.h"

#include <array>
#include <cerrno>
#include <functional>
#include <map>
#include <thread>

#include <fcntl.h>
#include <fmt/format.h>

#include "common/error.h"
#include "common/logging.h"
#include "localfs/atomic_file_writer.h"
#include "localfs/file_metadata.h"
#include "localfs/temporary_name.h"
#include "wal/wal_fetch.h"
#include "wal/wal_fetch_verify.h"

namespace walnut::wal {
namespace {

namespace fs = std::filesystem;

constexpr size_t kWalNameLength = 24;

// The WAL file an in-progress file of running/ belongs to ("" when it is not one of ours).
std::string_view RunningFileWalName(std::string_view file_name) {
  if (!IsTemporaryName(file_name) || file_name.size() < 1 + kWalNameLength) return {};
  return file_name.substr(1, kWalNameLength);
}

bool IsRunningFileOf(std::string_view file_name, std::string_view name) {
  return IsTemporaryName(file_name) && file_name.size() > name.size() + 2 &&
         file_name.substr(1, name.size()) == name && file_name[name.size() + 1] == '.';
}

// Calls fn(name, stat) for each regular file of `dir`; a missing or unreadable directory has
// none, and a file removed meanwhile is skipped.
void ForEachFile(LocalFs& local, const fs::path& dir,
                 const std::function<void(const std::string&, const FileStat&)>& fn) {
  std::vector<DirectoryEntry> entries;
  if (local.ListDirectory(dir.string(), entries) != 0) return;
  for (const DirectoryEntry& entry : entries) {
    if (entry.type != FileType::kRegular && entry.type != FileType::kUnknown) continue;
    FileStat stat;
    if (local.Stat((dir / entry.name).string(), stat, /*follow_links=*/false) != 0) continue;
    if (stat.type == FileType::kRegular) fn(entry.name, stat);
  }
}

bool OlderThan(const FileStat& stat, std::chrono::seconds age) {
  return std::chrono::system_clock::now() - stat.mtime > age;
}

enum class ReadyState { kTaken, kAbsent, kDiscarded };

// Why the open prefetched file is not the segment, "" when it is.
std::string ReadyFileProblem(LocalFile& file, pg::WalSegment segment, uint64_t segment_size) {
  FileStat stat = file.Stat();
  if (stat.size != segment_size) {
    return fmt::format("it has {} bytes, a WAL segment {}", stat.size, segment_size);
  }
  std::array<std::byte, pg::kWalLongPageHeaderSize> head{};
  if (file.ReadAt(head, 0) != head.size()) return "cannot read its page header";
  std::string problem = WalSegmentHeaderProblem(head, segment, segment_size);
  return problem.empty() ? "" : "its page header does not match its name: " + problem;
}

// Gives the warning the prefetcher left on a file whose object had no recorded SHA-256
// (WalFetchOptions::mark_unverified), and removes the mark.
void WarnIfUnverified(int fd, const std::string& path) {
  std::map<std::string, std::string> marks;
  try {
    marks = ReadFileMetadata(fd, path);
  } catch (const Error&) {
    return;  // unreadable attributes: the file itself was checked
  }
  auto it = marks.find(kUnverifiedMark);
  if (it == marks.end()) return;
  spdlog::warn("{}", it->second);
  RemoveFileMetadata(fd, kUnverifiedMark);
}

// Moves an intact prefetched file to `destination`, the way across file systems too.
ReadyState MoveTo(LocalFs& local, LocalFile& file, const fs::path& ready,
                  const std::string& destination) {
  if (int err = local.Rename(ready.string(), destination)) {
    if (err == ENOENT) return ReadyState::kAbsent;  // cleaned or taken meanwhile
    if (err != EXDEV) {
      spdlog::warn("{}; downloading it instead",
                   SystemError("cannot move the prefetched", ready.string(), err).what());
      return ReadyState::kAbsent;
    }
    // The prefetcher synced the file; the new name need not be (see WalFetchOptions::durable).
    auto writer = AtomicFileWriter::Create(local, destination, {.sync = false});
    writer->AppendFile(file);
    writer->Close();
    local.Unlink(ready.string());
  }
  return ReadyState::kTaken;
}

ReadyState TakeReady(const PrefetchDir& dir, std::string_view name, pg::WalSegment segment,
                     uint64_t segment_size, const std::string& destination) {
  fs::path ready = dir.ReadyPath(name);
  LocalFile file;
  if (int err = dir.fs().Open(ready.string(), O_RDONLY, 0, file)) {
    if (err != ENOENT) {
      spdlog::warn("{}; downloading it instead",
                   SystemError("cannot open the prefetched", ready.string(), err).what());
    }
    return ReadyState::kAbsent;
  }
  std::string problem = ReadyFileProblem(file, segment, segment_size);
  if (!problem.empty()) {
    dir.fs().Unlink(ready.string());
    spdlog::warn("discarded the prefetched {}: {}; downloading it instead", ready.string(),
                 problem);
    return ReadyState::kDiscarded;
  }
  WarnIfUnverified(file.fd(), ready.string());
  return MoveTo(dir.fs(), file, ready, destination);
}

}  // namespace

PrefetchDir PrefetchDir::For(LocalFs& fs, const std::string& prefetch_dir_setting,
                             const std::string& destination) {
  fs::path base = prefetch_dir_setting;
  if (base.empty()) {
    base = fs::path(destination).parent_path();
    if (base.empty()) base = ".";
  }
  return PrefetchDir(fs, base / ".wal-g" / "prefetch");
}

int64_t PrefetchDir::RunningSize(std::string_view name) const {
  int64_t size = -1;
  ForEachFile(*fs_, running(), [&](const std::string& file_name, const FileStat& stat) {
    if (IsRunningFileOf(file_name, name)) size = std::max(size, static_cast<int64_t>(stat.size));
  });
  return size;
}

void PrefetchDir::RemoveRunning(std::string_view name) const {
  ForEachFile(*fs_, running(), [&](const std::string& file_name, const FileStat&) {
    if (IsRunningFileOf(file_name, name)) fs_->Unlink((running() / file_name).string());
  });
}

bool PrefetchDir::HasOrFetching(std::string_view name, std::chrono::seconds fresh) const {
  FileStat stat;
  if (fs_->Stat(ReadyPath(name).string(), stat, /*follow_links=*/false) == 0) return true;
  bool fetching = false;
  ForEachFile(*fs_, running(), [&](const std::string& file_name, const FileStat& file) {
    if (IsRunningFileOf(file_name, name) && !OlderThan(file, fresh)) fetching = true;
  });
  return fetching;
}

void PrefetchDir::Clean(std::string_view name, std::chrono::seconds stale) const {
  std::string_view current = name.substr(0, kWalNameLength);
  auto is_older = [&](std::string_view wal_name) {
    return wal_name.size() == kWalNameLength &&
           pg::ClassifyWalFileName(wal_name) == pg::WalFileKind::kSegment && wal_name < current;
  };
  ForEachFile(*fs_, root_, [&](const std::string& file_name, const FileStat&) {
    if (is_older(file_name)) fs_->Unlink((root_ / file_name).string());
  });
  ForEachFile(*fs_, running(), [&](const std::string& file_name, const FileStat& stat) {
    std::string_view wal_name = RunningFileWalName(file_name);
    if (wal_name.empty()) return;
    if (is_older(wal_name) || OlderThan(stat, stale)) fs_->Unlink((running() / file_name).string());
  });
}

size_t PrefetchDir::RemoveAll() const {
  size_t removed = 0;
  ForEachFile(*fs_, root_, [&](const std::string& file_name, const FileStat&) {
    if (file_name.size() == kWalNameLength &&
        pg::ClassifyWalFileName(file_name) == pg::WalFileKind::kSegment &&
        fs_->Unlink((root_ / file_name).string()) == 0) {
      ++removed;
    }
  });
  ForEachFile(*fs_, running(), [&](const std::string& file_name, const FileStat&) {
    if (!RunningFileWalName(file_name).empty() &&
        fs_->Unlink((running() / file_name).string()) == 0) {
      ++removed;
    }
  });
  return removed;
}

bool TakePrefetched(const PrefetchDir& dir, std::string_view name, pg::WalSegment segment,
                    uint64_t segment_size, const std::string& destination,
                    const PrefetchWait& wait) {
  try {
    int64_t seen = -1;
    int stalled = 0;
    while (true) {
      switch (TakeReady(dir, name, segment, segment_size, destination)) {
        case ReadyState::kTaken:
          return true;
        case ReadyState::kDiscarded:
          return false;
        case ReadyState::kAbsent:
          break;
      }
      int64_t size = dir.RunningSize(name);
      if (size < 0) {
        // The download may have finished between the two looks.
        return TakeReady(dir, name, segment, segment_size, destination) == ReadyState::kTaken;
      }
      if (size > seen) {
        seen = size;
        stalled = 0;
      } else if (++stalled >= wait.stalled_polls) {
        spdlog::debug("the prefetch of {} stalled at {} bytes; downloading it directly", name,
                      size);
        dir.RemoveRunning(name);
        return false;
      }
      std::this_thread::sleep_for(wait.poll);
    }
  } catch (const std::exception& e) {
    spdlog::warn("cannot use the prefetched {}: {}; downloading it instead", name, e.what());
    return false;
  }
}

}  // namespace walnut::wal
