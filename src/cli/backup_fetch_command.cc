#include "cli/backup_fetch_command.h"

#include <memory>
#include <string>

#include <fmt/format.h>

#include "backup/backup_catalog.h"
#include "backup/backup_fetch.h"
#include "common/error.h"
#include "common/logging.h"

namespace walnut {
namespace {

struct FetchArgs {
  std::string target_dir;
  std::string backup_name;
  std::string mask;
  std::string restore_spec;
  std::string target_user_data;
  bool reverse_unpack = false;
  bool skip_redundant_tars = false;
};

int Fetch(CommandContext& context, const FetchArgs& args) {
  const Settings& settings = context.settings();
  BackupFetchOptions options;
  options.target_dir = args.target_dir;
  options.backup_name = args.backup_name;
  options.target_user_data = args.target_user_data;
  if (options.target_user_data.empty()) {
    options.target_user_data = context.config().Get("WALG_FETCH_TARGET_USER_DATA").value_or("");
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
  // --reverse-unpack and --skip-redundant-tars change only how delta chains are applied; a full
  // backup restores the same files either way.
  (void)args.reverse_unpack;
  (void)args.skip_redundant_tars;

  BackupCatalog catalog(context.root());
  BackupFetchResult result = FetchBackup(catalog, context.pipeline(), options);
  double seconds = result.elapsed.count();
  spdlog::info("backup {} fetched into {}: {} files, {} bytes in {:.1f} s ({:.1f} MB/s)",
               result.backup_name, options.target_dir, result.files, result.bytes, seconds,
               seconds > 0 ? static_cast<double>(result.bytes) / 1e6 / seconds : 0.0);
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
      "backup-fetch DIR NAME|LATEST: restore a base backup into an empty directory");
  auto args = std::make_shared<FetchArgs>();
  cmd->add_option("destination_directory", args->target_dir,
                  "Directory to restore into (empty or missing)")
      ->required();
  cmd->add_option("backup_name", args->backup_name, "Backup name, or LATEST");
  cmd->add_option("--mask", args->mask,
                  "Restore only files whose path (relative to DIR) matches this shell pattern");
  cmd->add_option("--restore-spec", args->restore_spec, "JSON file: where to put each tablespace");
  cmd->add_option("--target-user-data", args->target_user_data,
                  "Fetch the backup whose user data equals this JSON (instead of a name)");
  cmd->add_flag("--reverse-unpack", args->reverse_unpack, "Unpack delta backups newest first");
  cmd->add_flag("--skip-redundant-tars", args->skip_redundant_tars,
                "With --reverse-unpack: skip tars holding nothing still needed");
  cmd->callback(
      [&context, &action, args] { action = [&context, args] { return Fetch(context, *args); }; });
}

}  // namespace walnut
