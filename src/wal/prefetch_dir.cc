#include "wal/prefetch_dir.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/logging.h"
#include "storage/fs/fs_key.h"
#include "storage/fs/fs_metadata.h"
#include "storage/fs/fs_writer.h"
#include "storage/fs/unique_fd.h"
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

// Calls fn(entry) for each regular file of `dir`; a missing or unreadable directory has none.
void ForEachFile(const fs::path& dir, const std::function<void(const fs::directory_entry&)>& fn) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) fn(*it);
  }
}

bool OlderThan(const fs::directory_entry& entry, std::chrono::seconds age) {
  std::error_code ec;
  auto mtime = entry.last_write_time(ec);
  return !ec && fs::file_time_type::clock::now() - mtime > age;
}

void Remove(const fs::path& path) {
  std::error_code ec;
  fs::remove(path, ec);
}

enum class ReadyState { kTaken, kAbsent, kDiscarded };

// Why the open prefetched file is not the segment, "" when it is.
std::string ReadyFileProblem(int fd, pg::WalSegment segment, uint64_t segment_size) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fmt::format("cannot stat it: {}", std::strerror(errno));
  if (static_cast<uint64_t>(st.st_size) != segment_size) {
    return fmt::format("it has {} bytes, a WAL segment {}", st.st_size, segment_size);
  }
  std::array<std::byte, pg::kWalLongPageHeaderSize> head{};
  ssize_t n = ::pread(fd, head.data(), head.size(), 0);
  if (n != static_cast<ssize_t>(head.size())) return "cannot read its page header";
  std::string problem = WalSegmentHeaderProblem(head, segment, segment_size);
  return problem.empty() ? "" : "its page header does not match its name: " + problem;
}

// Gives the warning the prefetcher left on a file whose object had no recorded SHA-256
// (WalFetchOptions::mark_unverified), and removes the mark.
void WarnIfUnverified(int fd, const std::string& path) {
  std::map<std::string, std::string> marks;
  try {
    marks = ReadFsMetadata(fd, path);
  } catch (const Error&) {
    return;  // unreadable attributes: the file itself was checked
  }
  auto it = marks.find(kUnverifiedMark);
  if (it == marks.end()) return;
  spdlog::warn("{}", it->second);
  RemoveFsMetadata(fd, kUnverifiedMark);
}

// Moves an intact prefetched file to `destination`, the way across file systems too.
ReadyState MoveTo(int fd, const fs::path& ready, const std::string& destination) {
  if (::rename(ready.c_str(), destination.c_str()) != 0) {
    if (errno == ENOENT) return ReadyState::kAbsent;  // cleaned or taken meanwhile
    if (errno != EXDEV) {
      spdlog::warn("cannot move the prefetched {} to {}: {}; downloading it instead",
                   ready.string(), destination, std::strerror(errno));
      return ReadyState::kAbsent;
    }
    auto writer = FsWriter::Create(destination);
    writer->SkipSync();
    writer->AppendFile(fd, ready.string());
    writer->Close();
    Remove(ready);
    return ReadyState::kTaken;
  }
  // The prefetcher synced the file; the new name need not be (see WalFetchOptions::durable).
  return ReadyState::kTaken;
}

ReadyState TakeReady(const PrefetchDir& dir, std::string_view name, pg::WalSegment segment,
                     uint64_t segment_size, const std::string& destination) {
  fs::path ready = dir.ReadyPath(name);
  UniqueFd fd(::open(ready.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno != ENOENT) {
      spdlog::warn("cannot open the prefetched {}: {}; downloading it instead", ready.string(),
                   std::strerror(errno));
    }
    return ReadyState::kAbsent;
  }
  std::string problem = ReadyFileProblem(fd.get(), segment, segment_size);
  if (!problem.empty()) {
    Remove(ready);
    spdlog::warn("discarded the prefetched {}: {}; downloading it instead", ready.string(),
                 problem);
    return ReadyState::kDiscarded;
  }
  WarnIfUnverified(fd.get(), ready.string());
  return MoveTo(fd.get(), ready, destination);
}

}  // namespace

PrefetchDir PrefetchDir::For(const std::string& prefetch_dir_setting,
                             const std::string& destination) {
  fs::path base = prefetch_dir_setting;
  if (base.empty()) {
    base = fs::path(destination).parent_path();
    if (base.empty()) base = ".";
  }
  return PrefetchDir(base / ".wal-g" / "prefetch");
}

int64_t PrefetchDir::RunningSize(std::string_view name) const {
  int64_t size = -1;
  ForEachFile(running(), [&](const fs::directory_entry& entry) {
    if (!IsRunningFileOf(entry.path().filename().string(), name)) return;
    std::error_code ec;
    auto file_size = entry.file_size(ec);
    if (!ec) size = std::max(size, static_cast<int64_t>(file_size));
  });
  return size;
}

void PrefetchDir::RemoveRunning(std::string_view name) const {
  ForEachFile(running(), [&](const fs::directory_entry& entry) {
    if (IsRunningFileOf(entry.path().filename().string(), name)) Remove(entry.path());
  });
}

bool PrefetchDir::HasOrFetching(std::string_view name, std::chrono::seconds fresh) const {
  std::error_code ec;
  if (fs::exists(ReadyPath(name), ec)) return true;
  bool fetching = false;
  ForEachFile(running(), [&](const fs::directory_entry& entry) {
    if (IsRunningFileOf(entry.path().filename().string(), name) && !OlderThan(entry, fresh)) {
      fetching = true;
    }
  });
  return fetching;
}

void PrefetchDir::Clean(std::string_view name, std::chrono::seconds stale) const {
  std::string_view current = name.substr(0, kWalNameLength);
  auto is_older = [&](std::string_view wal_name) {
    return wal_name.size() == kWalNameLength &&
           pg::ClassifyWalFileName(wal_name) == pg::WalFileKind::kSegment && wal_name < current;
  };
  ForEachFile(root_, [&](const fs::directory_entry& entry) {
    if (is_older(entry.path().filename().string())) Remove(entry.path());
  });
  ForEachFile(running(), [&](const fs::directory_entry& entry) {
    std::string file_name = entry.path().filename().string();
    std::string_view wal_name = RunningFileWalName(file_name);
    if (wal_name.empty()) return;
    if (is_older(wal_name) || OlderThan(entry, stale)) Remove(entry.path());
  });
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
