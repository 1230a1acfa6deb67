#include "cli/backup_fetch_command.h"

#include <memory>
#include <string>

#include <fmt/format.h>

#include "backup/backup_catalog.h"
#include "backup/backup_fetch.h"
#include "backup/existing_target.h"
#include "common/error.h"
#include "common/logging.h"
#include "localfs/local_fs.h"

namespace walnut {
namespace {

struct FetchArgs {
  std::string target_dir;
  std::string backup_name;
  std::string mask;
  std::string restore_spec;
  std::string target_user_data;
  bool reverse_unpack = true;
  bool skip_redundant_tars = false;
  bool delta = false;
  bool delta_fast = false;
  bool delta_other_cluster = false;
  CLI::Option* reverse_unpack_option = nullptr;
};

// Newest first unless --reverse-unpack=false or WALG_USE_REVERSE_UNPACK=false is given
// (docs/delta-restore.md: it writes each page once, and is faster).
ChainOrder ChooseChainOrder(CommandContext& context, const FetchArgs& args) {
  bool reverse = context.settings().use_reverse_unpack;  // WALG_USE_REVERSE_UNPACK, default true
  if (args.reverse_unpack_option != nullptr && args.reverse_unpack_option->count() > 0) {
    reverse = args.reverse_unpack;
  }
  return reverse ? ChainOrder::kReverse : ChainOrder::kForward;
}

int Fetch(CommandContext& context, const FetchArgs& args) {
  const Settings& settings = context.settings();
  BackupFetchOptions options{.fs = LocalFs::Default()};
  options.target_dir = args.target_dir;
  options.backup_name = args.backup_name;
  options.target_user_data = args.target_user_data;
  if (options.target_user_data.empty()) {
    options.target_user_data = context.settings().fetch_target_user_data;
  }
  if (options.backup_name.empty() && options.target_user_data.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "backup-fetch needs a backup name (or LATEST) or --target-user-data");
  }
  options.mask = args.mask;
  options.restore_spec_path = args.restore_spec;
  options.fsync = !settings.tar_disable_fsync;
  options.download_concurrency = settings.download_concurrency;
  options.download_file_retries = settings.download_file_retries;
  options.chain_order = ChooseChainOrder(context, args);
  if (args.delta_fast) {
    options.delta = DeltaCheck::kSizeAndMtime;
  } else if (args.delta) {
    options.delta = DeltaCheck::kChecksum;
  }
  if (args.delta_other_cluster && !options.delta) {
    throw Error(ErrorCode::kInvalidArgument,
                "backup-fetch --delta-other-cluster goes with --delta or --delta-fast");
  }
  options.delta_other_cluster = args.delta_other_cluster;
  // --skip-redundant-tars / WALG_SKIP_REDUNDANT_TARS: always on, in both orders. The plan built
  // from the target's file list tells which tars of each level hold a piece still needed, so the
  // others are never downloaded (docs/delta-restore.md).
  (void)args.skip_redundant_tars;

  BackupCatalog catalog(context.root());
  BackupFetchResult result = FetchBackup(catalog, context.pipeline(), options);
  double seconds = result.elapsed.count();
  spdlog::info("backup {} fetched into {}: {} files, {} bytes in {:.1f} s ({:.1f} MB/s)",
               result.backup_name, options.target_dir, result.files, result.bytes, seconds,
               seconds > 0 ? static_cast<double>(result.bytes) / 1e6 / seconds : 0.0);
  if (options.delta) {
    spdlog::info(
        "delta restore: {} file(s) rewritten, {} kept as they were ({} of them read to compare), "
        "{} entr(y/ies) removed, {} tar(s) not downloaded",
        result.files, result.files_kept, result.files_hashed, result.entries_removed,
        result.tars_skipped);
  }
  // As WAL-G, backup-fetch leaves recovery to the operator.
  spdlog::info(
      "to replay WAL, create {0}/recovery.signal (or standby.signal) and set restore_command = "
      "'wal-g wal-fetch %f %p' (with recovery_target_* for point-in-time recovery) before starting "
      "PostgreSQL",
      options.target_dir);
  return 0;
}

}  // namespace

void AddBackupFetchCommand(CLI::App& app, CommandContext& context, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand(
      "backup-fetch",
      "backup-fetch DIR NAME|LATEST: restore a base backup into an empty directory (or, with "
      "--delta, over the cluster already there, rewriting only what differs)");
  auto args = std::make_shared<FetchArgs>();
  cmd->add_option("destination_directory", args->target_dir,
                  "Directory to restore into (empty or missing; with --delta, a data directory)")
      ->required();
  cmd->add_option("backup_name", args->backup_name, "Backup name, or LATEST");
  cmd->add_option("--mask", args->mask,
                  "Restore only files whose path (relative to DIR) matches this shell pattern");
  cmd->add_option("--restore-spec", args->restore_spec, "JSON file: where to put each tablespace");
  cmd->add_option("--target-user-data", args->target_user_data,
                  "Fetch the backup whose user data equals this JSON (instead of a name)");
  args->reverse_unpack_option = cmd->add_flag(
      "--reverse-unpack", args->reverse_unpack,
      "Apply a delta chain newest first, writing each page once (the default); "
      "--reverse-unpack=false or WALG_USE_REVERSE_UNPACK=false applies it oldest first");
  cmd->add_flag("--skip-redundant-tars", args->skip_redundant_tars,
                "Accepted for WAL-G compatibility: tars holding nothing a delta chain still needs "
                "are always skipped, in either order");
  auto* delta = cmd->add_flag(
      "--delta", args->delta,
      "Restore into a data directory that holds a cluster (as pgBackRest's restore --delta): "
      "files equal to the backup's (size and SHA-256) are kept, the others rewritten, what the "
      "backup lacks removed, pg_control restored last; refused while PostgreSQL runs there or "
      "when it is another cluster");
  cmd->add_flag("--delta-fast", args->delta_fast,
                "As --delta, but a file with the backup's size and mtime is kept without reading "
                "it (pgBackRest's --delta --force)")
      ->excludes(delta);
  cmd->add_flag("--delta-other-cluster", args->delta_other_cluster,
                "With --delta: restore even over a cluster of another system identifier");
  cmd->callback(
      [&context, &action, args] { action = [&context, args] { return Fetch(context, *args); }; });
}

}  // namespace walnut
