#include "wal/wal_push.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/logging.h"
#include "wal/ahead_schedule.h"
#include "wal/archive_status.h"

namespace walnut {
namespace {

// The .ready files to upload ahead of PostgreSQL's calls: in name order (PostgreSQL archives the
// oldest first), without the requested file and those already uploaded ahead.
std::vector<std::string> PickFilesAhead(const ArchiveStatus& status, const std::string& requested,
                                        int limit) {
  std::vector<std::string> picked;
  for (std::string& name : status.ReadyFiles()) {
    if (static_cast<int>(picked.size()) >= limit) break;
    if (name == requested || status.HasUploadedMarker(name)) continue;
    picked.push_back(std::move(name));
  }
  return picked;
}

// Uploads files ahead from one shared list: on parallel_uploads - 1 threads of its own from the
// start, and on the caller's thread too once it has pushed the requested file (Help), so that
// every worker stays busy. Failures are logged, never thrown: the file stays .ready and
// unmarked, and PostgreSQL asks for it again.
class UploadAhead {
 public:
  UploadAhead(const Folder& wal_folder, const ArchiveStatus& status, const WalPushOptions& options,
              ArchiveIdentityGuard& identity, AheadSchedule& schedule,
              std::vector<std::string> names)
      : wal_folder_(wal_folder),
        status_(status),
        options_(options),
        identity_(identity),
        schedule_(schedule),
        names_(std::move(names)) {
    size_t threads = std::min(names_.size(), static_cast<size_t>(options_.parallel_uploads - 1));
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Help(); });
  }

  // Uploads files ahead on the calling thread until none is left or the schedule ends them.
  void Help() noexcept {
    while (true) {
      if (!schedule_.MayStart(AheadSchedule::Clock::now())) return;
      size_t i = next_.fetch_add(1);
      if (i >= names_.size()) return;
      UploadOne(names_[i]);
    }
  }

  // Waits for every upload ahead that started to end.
  void Wait() {
    for (std::jthread& thread : threads_) thread.join();
    threads_.clear();
  }

 private:
  void UploadOne(const std::string& name) noexcept {
    try {
      auto start = AheadSchedule::Clock::now();
      PushWalFile(options_.fs, wal_folder_, status_.pg_wal() / name, options_.file, identity_);
      schedule_.Record(AheadSchedule::Clock::now() - start);
      // Only now, with the object durably stored, may the next call skip the file.
      if (options_.ready_rename) {
        status_.MarkDone(name);
      } else {
        status_.MarkUploaded(name);
      }
    } catch (const std::exception& e) {
      spdlog::warn("uploading WAL file '{}' ahead failed (PostgreSQL will archive it later): {}",
                   name, e.what());
    }
  }

  const Folder& wal_folder_;
  const ArchiveStatus& status_;
  const WalPushOptions& options_;
  ArchiveIdentityGuard& identity_;
  AheadSchedule& schedule_;
  const std::vector<std::string> names_;
  std::atomic<size_t> next_{0};
  std::vector<std::jthread> threads_;
};

}  // namespace

void WalPush(const Folder& root, const std::filesystem::path& path, const WalPushOptions& options) {
  const std::filesystem::path absolute = std::filesystem::absolute(path);
  const std::string name = absolute.filename().string();
  ArchiveStatus status(options.fs, absolute.parent_path());
  if (status.ConsumeUploadedMarker(name)) {
    spdlog::info("WAL file '{}' was archived ahead by an earlier wal-push", name);
    return;
  }

  const auto start = AheadSchedule::Clock::now();
  AheadSchedule schedule(start, options.ahead_window, options.timeout);
  const Folder wal_folder = root.Sub("wal_005");
  ArchiveIdentityGuard identity(root, options.fs, status.data_dir());
  std::vector<std::string> ahead;
  if (options.parallel_uploads > 1 && options.upload_ahead_limit > 0) {
    ahead = PickFilesAhead(status, name, options.upload_ahead_limit);
  }
  UploadAhead uploader(wal_folder, status, options, identity, schedule, std::move(ahead));
  std::exception_ptr error;
  try {
    PushWalFile(options.fs, wal_folder, absolute, options.file, identity);
    schedule.Record(AheadSchedule::Clock::now() - start);
  } catch (...) {
    error = std::current_exception();
    schedule.Stop();
  }
  if (!error) uploader.Help();
  uploader.Wait();
  if (error) std::rethrow_exception(error);
}

}  // namespace walnut
