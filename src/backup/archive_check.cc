#include "backup/archive_check.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "common/error.h"
#include "common/logging.h"
#include "pipeline/pipeline.h"

namespace walnut {

void CheckServerArchives(BackupSession& session, const BackupPushOptions& options) {
  if (!options.archive_check) return;
  const std::string gap = pg::ArchivingGap(session.ReadArchiveSettings());
  if (gap.empty()) return;
  throw Error(ErrorCode::kFailedPrecondition,
              fmt::format("{}; or, if WAL reaches the storage another way (wal-receive, "
                          "pg_receivewal and wal-push), set WALNUT_ARCHIVE_CHECK=false",
                          gap));
}

void WaitForArchivedWal(const Folder& root, const std::string& backup_name,
                        const std::string& first, const std::string& last,
                        CompressionMethod preferred, const BackupPushOptions& options) {
  if (!options.archive_check) {
    spdlog::warn(
        "WALNUT_ARCHIVE_CHECK=false: not checking that the WAL {} needs reached wal_005/; it can "
        "be restored only once segments {} to {} arrive there by other means",
        backup_name, first, last);
    return;
  }
  if (options.archive_wait_timeout.count() == 0) {
    spdlog::warn(
        "not waiting for WAL segment {} to be archived (WALNUT_ARCHIVE_WAIT_TIMEOUT=0): "
        "{} cannot be restored until it is",
        last, backup_name);
    return;
  }
  Folder wal = root.Sub("wal_005/");
  auto deadline = std::chrono::steady_clock::now() + options.archive_wait_timeout;
  auto interval = std::chrono::milliseconds(50);
  while (true) {
    if (auto found = FindCompressedObject(wal, last, preferred)) {
      spdlog::info("WAL segment {} needed by {} is archived as wal_005/{}", last, backup_name,
                   *found);
      return;
    }
    if (options.stop && options.stop->load())
      throw Error(ErrorCode::kCancelled, "backup-push interrupted");
    if (std::chrono::steady_clock::now() >= deadline) {
      throw Error(
          ErrorCode::kNotFound,
          fmt::format(
              "WAL segment {} needed to restore {} did not reach wal_005/ within {} s; the "
              "backup is incomplete (no sentinel written). Check that archive_mode is on, that "
              "archive_command uploads to this storage (e.g. 'wal-g wal-push %p'), and "
              "pg_stat_archiver's last_failed_wal and the server log for archiving errors; "
              "WALNUT_ARCHIVE_WAIT_TIMEOUT sets how long to wait",
              last, backup_name,
              std::chrono::duration_cast<std::chrono::seconds>(options.archive_wait_timeout)
                  .count()));
    }
    std::this_thread::sleep_for(std::min(interval, options.archive_poll_interval));
    interval *= 2;
  }
}

}  // namespace walnut
