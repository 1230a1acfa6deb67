#include "cli/drill_command.h"

#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "backup/backup_catalog.h"
#include "cli/stop_signals.h"
#include "cli/this_binary.h"
#include "cli/version.h"
#include "common/error.h"
#include "common/logging.h"
#include "config/setting_values.h"
#include "drill/drill.h"
#include "drill/drill_report.h"
#include "drill/drill_settings.h"
#include "localfs/local_fs.h"

namespace walnut {
namespace {

struct DrillArgs {
  std::string backup_name = "LATEST";
  std::string pick;
  std::string dir;
  bool keep = false;
  std::string target_time;
  std::string target_lsn;
  std::string sql_file;
  std::string expect_file;
  std::string os_user = "postgres";
  std::string db_user = "postgres";
  std::string timeout = "1h";
  std::string report_file;
  std::string textfile_dir;
};

int Drill(CommandContext& context, const DrillArgs& args) {
  const Settings& settings = context.settings();
  drill::DrillOptions options{.fs = LocalFs::Default()};
  options.backup_name = args.backup_name;
  if (!args.pick.empty() && args.pick != "random") {
    throw Error(
        ErrorCode::kInvalidArgument,
        fmt::format("--pick {}: only 'random' is known (or give a backup name)", args.pick));
  }
  options.pick_random = args.pick == "random";
  options.dir = args.dir;
  options.keep = args.keep;
  if (!args.target_time.empty() && !args.target_lsn.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "--target-time and --target-lsn exclude each other");
  }
  if (!args.target_time.empty()) {
    options.target = {drill::RecoveryTarget::Kind::kTime, args.target_time};
  } else if (!args.target_lsn.empty()) {
    options.target = {drill::RecoveryTarget::Kind::kLsn, args.target_lsn};
  }
  options.sql_file = args.sql_file;
  options.expect_file = args.expect_file;
  options.os_user = args.os_user;
  options.db_user = args.db_user;
  auto timeout = ParseSettingDuration(args.timeout);
  if (!timeout || timeout->count() <= 0) {
    throw Error(
        ErrorCode::kInvalidArgument,
        fmt::format("--timeout {}: give a positive duration such as 30m or 2h", args.timeout));
  }
  options.timeout = std::chrono::ceil<std::chrono::seconds>(*timeout);
  options.walnut_binary = ThisBinary();
  options.settings_json = drill::EffectiveSettingsJson(context.config());
  // A scratch restore, removed afterwards: no fsync of every file.
  options.fsync = false;
  options.download_concurrency = settings.download_concurrency;
  options.download_file_retries = settings.download_file_retries;
  options.stop = &StopSignals::Flag();

  BackupCatalog catalog(context.root());
  drill::ReportOutputs outputs;
  outputs.report_file = args.report_file;
  outputs.textfile_dir = args.textfile_dir;
  outputs.storage_label = catalog.Describe();
  drill::ReportOrigin origin{.walnut_version =
                                 fmt::format("walnut {} ({})", BuildVersion(), BuildRevision())};

  StopSignals signals;
  drill::DrillResult result = drill::RunDrill(catalog, context.pipeline(), options);
  for (const auto& failure :
       drill::PublishReport(result, origin, context.root(), LocalFs::Default(), outputs)) {
    result.errors.push_back(failure);
  }
  std::fputs(drill::Summary(result).c_str(), stdout);
  std::fflush(stdout);
  if (!result.errors.empty()) {
    throw Error(ErrorCode::kFailedPrecondition,
                fmt::format("drill of backup {} failed: {}",
                            result.backup_name.empty() ? options.backup_name : result.backup_name,
                            result.errors.front()));
  }
  return 0;
}

}  // namespace

void AddDrillCommand(CLI::App& app, CommandContext& context, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand(
      "drill",
      "drill [NAME|LATEST]: restore a backup into a scratch directory, recover it with a private "
      "PostgreSQL, check it (pg_amcheck, queries, --sql/--expect, pg_checksums) and report");
  auto args = std::make_shared<DrillArgs>();
  cmd->add_option("backup_name", args->backup_name, "Backup name, or LATEST (the default)");
  cmd->add_option("--pick", args->pick, "random: drill a backup picked at random among the listed");
  cmd->add_option("--dir", args->dir,
                  "Scratch directory (empty or missing; default a new one under $TMPDIR), "
                  "removed afterwards unless --keep");
  cmd->add_flag("--keep", args->keep, "Keep the scratch directory (the restored cluster, logs)");
  cmd->add_option("--target-time", args->target_time,
                  "Recover to this time (recovery_target_time); default the end of the archive");
  cmd->add_option("--target-lsn", args->target_lsn, "Recover to this LSN (recovery_target_lsn)");
  cmd->add_option("--sql", args->sql_file,
                  "SQL file run through psql (unaligned, tuples only) on the recovered cluster");
  cmd->add_option("--expect", args->expect_file, "File the output of --sql must equal");
  cmd->add_option(
      "--os-user", args->os_user,
      "When run as root: the user that runs PostgreSQL and its tools (default postgres)");
  cmd->add_option("--db-user", args->db_user, "The role the checks connect as (default postgres)");
  cmd->add_option("--timeout", args->timeout, "Bound on the whole drill (default 1h)");
  cmd->add_option("--report", args->report_file, "Write the JSON report to this file");
  cmd->add_option("--textfile", args->textfile_dir,
                  "Write DIR/walnut_drill.prom for node_exporter's textfile collector");
  cmd->callback(
      [&context, &action, args] { action = [&context, args] { return Drill(context, *args); }; });
}

}  // namespace walnut
