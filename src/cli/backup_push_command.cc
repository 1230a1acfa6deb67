#include "cli/backup_push_command.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "backup/backup_push.h"
#include "backup/backup_session.h"
#include "backup/delta/delta_base.h"
#include "cli/progress_line.h"
#include "cli/stop_signals.h"
#include "common/error.h"
#include "common/logging.h"
#include "localfs/local_fs.h"
#include "postgres/server_queries.h"

namespace walnut {
namespace {

struct BackupPushFlags {
  std::string data_dir;
  bool full = false;
  bool permanent = false;
  bool verify = false;
  bool store_all_corrupt = false;
  bool without_files_metadata = false;
  std::string user_data;
  std::string delta_from_name;
  std::string delta_from_user_data;
  bool rating_composer = false;
  bool copy_composer = false;
  bool database_composer = false;
};

// Tar partitions filled at once. One tar reads and hashes on one thread and compresses on
// another, but the two rarely weigh the same (lz4 is cheap on compressible data and dear on the
// rest), so to a local directory a second tar fills the idle time: two (up to
// WALG_UPLOAD_CONCURRENCY and the number of cores; more would only cost memory on 2 cores). To S3
// the network sets the pace and each tar's writer already sends parts concurrently: a second tar
// would only double the part buffers. WALG_UPLOAD_DISK_CONCURRENCY wins when it asks for more.
int TarsAtOnce(const Settings& settings, const Storage& storage) {
  constexpr int kMaxLocalTars = 2;
  int local_tars = 1;
  if (storage.Supports(StorageFeature::kLocal)) {
    int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    local_tars = std::min({settings.upload_concurrency, cores, kMaxLocalTars});
  }
  return std::max(settings.upload_disk_concurrency, local_tars);
}

int RunBackupPush(CommandContext& context, const BackupPushFlags& flags) {
  const Settings& settings = context.settings();

  // The composers only change how files are grouped into tars; a regular full backup is a valid
  // (if differently packed) backup for every one of them. (The WALG_USE_*_COMPOSER settings say
  // so through their status.)
  if (flags.rating_composer || flags.copy_composer || flags.database_composer) {
    spdlog::warn(
        "the rating, copy and database tar composers are not supported yet: files are packed by "
        "the regular composer");
  }

  BackupPushOptions options{.fs = LocalFs::Default()};
  options.data_dir = !flags.data_dir.empty() ? flags.data_dir : settings.pgdata;
  if (options.data_dir.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "backup-push needs the data directory: give it as the argument or set PGDATA (the "
                "remote BASE_BACKUP mode without a directory is not supported)");
  }
  options.permanent = flags.permanent;
  options.verify_page_checksums = flags.verify || settings.verify_page_checksums;
  options.store_all_corrupt_blocks = flags.store_all_corrupt || settings.store_all_corrupt_blocks;
  options.without_files_metadata = flags.without_files_metadata || settings.without_files_metadata;
  options.user_data = !flags.user_data.empty() ? flags.user_data : settings.sentinel_user_data;
  if (!options.user_data.empty() && !nlohmann::json::accept(options.user_data)) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("--add-user-data / WALG_SENTINEL_USER_DATA is not valid JSON: {}",
                            options.user_data));
  }
  context.set_writes(true);
  const Folder& root = context.root();
  options.tar_size_threshold = settings.tar_size_threshold;
  options.disk_concurrency = TarsAtOnce(settings, root.storage());
  options.upload_queue = settings.upload_queue;
  if (!context.turbo()) {
    options.disk_rate_limit = settings.disk_rate_limit;
  }
  options.archive_check = settings.archive_check;
  options.archive_wait_timeout = settings.archive_wait_timeout;
  options.stop = &StopSignals::Flag();

  DeltaRequest delta;
  delta.max_steps = settings.delta_max_steps;
  delta.from_latest_full = settings.delta_from_full;
  delta.from_name =
      !flags.delta_from_name.empty() ? flags.delta_from_name : settings.delta_from_name;
  delta.from_user_data = !flags.delta_from_user_data.empty() ? flags.delta_from_user_data
                                                             : settings.delta_from_user_data;
  delta.full = flags.full;
  delta.permanent = options.permanent;
  if (options.without_files_metadata && !delta.full && delta.max_steps > 0) {
    spdlog::info("--without-files-metadata: taking a full backup (a delta needs the file lists)");
    delta.full = true;
  }
  options.delta = ChooseDeltaBase(BackupCatalog(root), delta);
  const PipelineOptions& pipeline = context.pipeline();
  PgBackupSession session(settings.stop_backup_timeout);

  ProgressLine progress =
      ProgressLine::ForStderr("backup-push", pg::EstimateDatabaseBytes(session.connection()));
  BackupPushObserver observer;
  observer.on_bytes_read = [&progress](uint64_t bytes) { progress.Add(bytes); };
  observer.on_tar_uploaded = [&progress](const std::string& tar_name, uint64_t tar_bytes) {
    if (!progress.interactive()) {
      spdlog::info("uploaded {} ({}; {} read so far)", tar_name,
                   HumanBytes(static_cast<double>(tar_bytes)),
                   HumanBytes(static_cast<double>(progress.done())));
    }
  };

  StopSignals signals;
  BackupPushResult result;
  try {
    result = PushBackup(session, root, pipeline, options, observer);
  } catch (...) {
    progress.Finish();
    if (StopSignals::Requested()) {
      throw Error(ErrorCode::kCancelled,
                  "backup-push was interrupted by a signal: the backup was stopped on "
                  "the server and no sentinel was written");
    }
    throw;
  }
  progress.Finish();
  return 0;
}

}  // namespace

void AddBackupPushCommand(CLI::App& app, CommandContext& context, CommandAction& action) {
  auto flags = std::make_shared<BackupPushFlags>();
  CLI::App* cmd = app.add_subcommand("backup-push",
                                     "Take a base backup of a PostgreSQL data directory (full, or "
                                     "delta with WALG_DELTA_MAX_STEPS)");
  AddTargetStorageOption(*cmd, context);
  cmd->add_option("db_directory", flags->data_dir, "The data directory (default: PGDATA)");
  cmd->add_flag("-f,--full", flags->full,
                "Take a full backup even when WALG_DELTA_MAX_STEPS allows a delta");
  cmd->add_flag("-p,--permanent", flags->permanent, "Mark the backup permanent (kept by delete)");
  cmd->add_flag("-v,--verify", flags->verify, "Verify page checksums (WALG_VERIFY_PAGE_CHECKSUMS)");
  cmd->add_flag(
      "-s,--store-all-corrupt", flags->store_all_corrupt,
      "Record every corrupt block, not only the first 10 (WALG_STORE_ALL_CORRUPT_BLOCKS)");
  cmd->add_flag("--without-files-metadata", flags->without_files_metadata,
                "Do not write files_metadata.json");
  cmd->add_option("--add-user-data", flags->user_data, "JSON stored as the backup's user data");
  cmd->add_option("--delta-from-name", flags->delta_from_name,
                  "Take a delta from this backup (WALG_DELTA_FROM_NAME)");
  cmd->add_option("--delta-from-user-data", flags->delta_from_user_data,
                  "Take a delta from the backup with this user data (WALG_DELTA_FROM_USER_DATA)");
  cmd->add_flag("-r,--rating-composer", flags->rating_composer,
                "Accepted; packs with the regular composer");
  cmd->add_flag("-c,--copy-composer", flags->copy_composer,
                "Accepted; packs with the regular composer");
  cmd->add_flag("-b,--database-composer", flags->database_composer,
                "Accepted; packs with the regular composer");
  cmd->callback([&context, &action, flags] {
    action = [&context, flags]() -> int { return RunBackupPush(context, *flags); };
  });
}

}  // namespace walnut
