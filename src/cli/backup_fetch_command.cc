#include "cli/backup_fetch_command.h"

#include <memory>
#include <string>

#include <fmt/format.h>

#include "backup/backup_catalog.h"
#include "backup/backup_fetch.h"
#include "backup/existing_target.h"
#include "cli/this_binary.h"
#include "common/error.h"
#include "common/logging.h"
#include "localfs/local_fs.h"
#include "recovery/recovery_files.h"
#include "recovery/target_backup.h"

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
  recovery::RecoveryFlags recovery;
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

// With recovery flags: the backup for the target, checked against it and the archived WAL before
// anything is written (recovery/target_backup.h).
std::string ChooseBackupForRecovery(CommandContext& context, const BackupFetchOptions& options,
                                    const recovery::RecoveryRequest& request) {
  BackupCatalog catalog(context.root());
  std::string name = options.backup_name;
  if (!options.target_user_data.empty()) {
    name = catalog.FindByUserData(options.target_user_data, "--target-user-data");
  }
  return recovery::ResolveTargetBackup(catalog, name, request, context.settings().wal_segment_size)
      .name;
}

// The signal file and postgresql.auto.conf's recovery settings, after the restore.
void WriteRecovery(CommandContext& context, const std::string& data_dir,
                   const std::string& backup_name, const recovery::RecoveryRequest& request) {
  recovery::RestoreCommand restore =
      recovery::BuildRestoreCommand(context.config(), ThisBinary(), CurrentDirectory());
  recovery::WriteRecoveryFiles(
      LocalFs::Default(), data_dir, request, restore.command,
      fmt::format("Recovery settings written by walnut backup-fetch of backup {}", backup_name));
  using Kind = recovery::RecoveryRequest::Kind;
  std::string target = "to the end of the archived WAL";
  if (request.kind == Kind::kImmediate) {
    target = "recovery_target = 'immediate'";
  } else if (request.kind != Kind::kNone) {
    target =
        fmt::format("recovery_target_{} = '{}'", recovery::KindName(request.kind), request.value);
  }
  spdlog::info(
      "wrote {}/{} and the recovery settings in {}/postgresql.auto.conf ({}{}): start "
      "PostgreSQL to recover",
      data_dir, request.standby ? "standby.signal" : "recovery.signal", data_dir, target,
      request.action.empty() ? "" : ", then " + request.action);
  if (!restore.secrets_left_out.empty()) {
    std::string names;
    for (const std::string& name : restore.secrets_left_out) {
      names += (names.empty() ? "" : ", ") + name;
    }
    spdlog::warn(
        "restore_command does not carry {} (given in the environment or as a flag, never written "
        "to postgresql.auto.conf): PostgreSQL's environment must provide it, or put the settings "
        "in a config file only PostgreSQL's user can read and run backup-fetch with --config",
        names);
  }
}

int Fetch(CommandContext& context, const FetchArgs& args) {
  const Settings& settings = context.settings();
  const recovery::RecoveryRequest request = recovery::ParseRecoveryFlags(args.recovery);
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

  if (request.Requested()) {
    options.backup_name = ChooseBackupForRecovery(context, options, request);
    options.target_user_data.clear();
  }

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
  if (request.Requested()) {
    WriteRecovery(context, options.target_dir, result.backup_name, request);
    return 0;
  }
  // Without recovery flags, as WAL-G, backup-fetch leaves recovery to the operator.
  spdlog::info(
      "to replay WAL, create {0}/recovery.signal (or standby.signal) and set restore_command = "
      "'wal-g wal-fetch %f %p' (with recovery_target_* for point-in-time recovery) before starting "
      "PostgreSQL",
      options.target_dir);
  return 0;
}

void AddRecoveryOptions(CLI::App& cmd, recovery::RecoveryFlags& flags) {
  const char* group = "Recovery (PostgreSQL 12+: the signal file and postgresql.auto.conf)";
  cmd.add_option("--target-time", flags.target_time,
                 "Recover to this time (recovery_target_time: 2026-12-07 14:30:00+01, local time "
                 "without a zone); with LATEST, restores the latest backup that finished before it")
      ->group(group);
  cmd.add_option("--target-lsn", flags.target_lsn,
                 "Recover to this LSN (recovery_target_lsn, X/X); with LATEST, restores the latest "
                 "backup that ends before it")
      ->group(group);
  cmd.add_option("--target-xid", flags.target_xid,
                 "Recover to this transaction id (recovery_target_xid)")
      ->group(group);
  cmd.add_option("--target-name", flags.target_name,
                 "Recover to this restore point (recovery_target_name, pg_create_restore_point)")
      ->group(group);
  cmd.add_flag("--target-immediate", flags.target_immediate,
               "Recover only until the backup is consistent (recovery_target = 'immediate')")
      ->group(group);
  cmd.add_option("--target-timeline", flags.target_timeline,
                 "latest, current or a timeline id (recovery_target_timeline; PostgreSQL's "
                 "default is latest)")
      ->group(group);
  cmd.add_option("--target-action", flags.target_action,
                 "promote, pause or shutdown once the target is reached (recovery_target_action; "
                 "PostgreSQL's default is pause); needs a target")
      ->group(group);
  cmd.add_flag("--target-exclusive", flags.target_exclusive,
               "Stop just before the target instead of just after it (recovery_target_inclusive = "
               "off; time, LSN and xid targets)")
      ->group(group);
  cmd.add_flag("--standby", flags.standby,
               "Write standby.signal instead of recovery.signal: the restored cluster stays a "
               "standby replaying the archive")
      ->group(group);
}

}  // namespace

void AddBackupFetchCommand(CLI::App& app, CommandContext& context, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand(
      "backup-fetch",
      "backup-fetch DIR NAME|LATEST: restore a base backup into an empty directory (or, with "
      "--delta, over the cluster already there, rewriting only what differs)");
  AddTargetStorageOption(*cmd, context);
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
  AddRecoveryOptions(*cmd, args->recovery);
  cmd->callback(
      [&context, &action, args] { action = [&context, args] { return Fetch(context, *args); }; });
}

}  // namespace walnut
