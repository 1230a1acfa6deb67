#include "wal/wal_push.h"

#include <algorithm>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/logging.h"
#include "concurrency/task_group.h"
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

// Uploads files ahead on a thread of its own (which feeds a TaskGroup), so that the requested
// file uploads meanwhile. Failures are logged, never thrown: the file stays .ready and unmarked,
// and PostgreSQL asks for it again.
class UploadAhead {
 public:
  UploadAhead(const Folder& wal_folder, const ArchiveStatus& status, const WalPushOptions& options,
              ArchiveIdentityGuard& identity, std::vector<std::string> names)
      : wal_folder_(wal_folder), status_(status), options_(options), identity_(identity) {
    if (names.empty()) return;
    thread_ = std::jthread([this, names = std::move(names)] { Run(names); });
  }

  // Waits for every upload ahead to end.
  void Wait() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Run(const std::vector<std::string>& names) {
    TaskGroup tasks(static_cast<size_t>(std::max(1, options_.parallel_uploads - 1)));
    for (const std::string& name : names) {
      tasks.Submit([this, name](std::stop_token) { UploadOne(name); });
    }
    tasks.Wait();  // UploadOne never throws
  }

  void UploadOne(const std::string& name) noexcept {
    try {
      PushWalFile(wal_folder_, status_.pg_wal() / name, options_.file, identity_);
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
  std::jthread thread_;
};

}  // namespace

void WalPush(const Folder& root, const std::filesystem::path& path, const WalPushOptions& options) {
  const std::filesystem::path absolute = std::filesystem::absolute(path);
  const std::string name = absolute.filename().string();
  ArchiveStatus status(absolute.parent_path());
  if (status.ConsumeUploadedMarker(name)) {
    spdlog::info("WAL file '{}' was archived ahead by an earlier wal-push", name);
    return;
  }

  const Folder wal_folder = root.Sub("wal_005");
  ArchiveIdentityGuard identity(root, status.data_dir());
  std::vector<std::string> ahead;
  if (options.parallel_uploads > 1 && options.upload_ahead_limit > 0) {
    ahead = PickFilesAhead(status, name, options.upload_ahead_limit);
  }
  UploadAhead uploader(wal_folder, status, options, identity, std::move(ahead));
  std::exception_ptr error;
  try {
    PushWalFile(wal_folder, absolute, options.file, identity);
  } catch (...) {
    error = std::current_exception();
  }
  uploader.Wait();
  if (error) std::rethrow_exception(error);
}

}  // namespace walnut
