#include "cli/verify_command.h"

#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "backup/backup_catalog.h"
#include "backup/backup_name.h"
#include "cli/progress_line.h"
#include "cli/version.h"
#include "common/error.h"
#include "common/host_name.h"
#include "common/logging.h"
#include "localfs/local_fs.h"
#include "metrics/exposition.h"
#include "verify/backup_verify.h"
#include "verify/verify_report.h"
#include "wal/wal_catalog.h"

namespace walnut {
namespace {

struct VerifyArgs {
  std::string backup_name;
  bool all = false;
  bool json = false;
  std::string textfile_dir;
};

int Verify(CommandContext& context, const VerifyArgs& args) {
  if (args.all && !args.backup_name.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "verify takes a backup name or --all, not both");
  }
  const Settings& settings = context.settings();
  verify::VerifyOptions options;
  options.backup_name = args.backup_name.empty() ? std::string(kLatestBackup) : args.backup_name;
  options.all = args.all;
  options.download_concurrency = settings.download_concurrency;
  options.download_file_retries = settings.download_file_retries;
  options.wal_segment_size = settings.wal_segment_size;
  ProgressLine progress = ProgressLine::ForStderr("verify", 0);
  options.on_bytes = [&progress](uint64_t bytes) { progress.Add(bytes); };

  BackupCatalog catalog(context.root());
  verify::VerifyResult result = verify::VerifyBackups(catalog, context.root().Sub(wal::kWalFolder),
                                                      context.pipeline(), options);
  progress.Finish();

  verify::ReportOrigin origin{HostName(), std::string(BuildVersion())};
  int exit_code = result.success() ? 0 : 1;  // as any failed command
  try {
    verify::StoreVerifyReport(catalog, verify::RenderVerifyReport(result, origin));
  } catch (const Error& e) {
    spdlog::warn("the verify report could not be stored at {}: {}", verify::kVerifyReportKey,
                 e.what());
  }
  if (!args.textfile_dir.empty()) {
    metrics::WriteTextfile(LocalFs::Default(), args.textfile_dir, verify::kVerifyTextfileName,
                           verify::RenderVerifyMetrics(result, catalog.Describe()));
  }
  std::string out;
  if (args.json) {
    out = verify::RenderVerifyReport(result, origin, /*pretty=*/true);
  } else {
    out = fmt::format(
        "verify: {}: {} backup(s) checked ({} failed), {} file(s), {} byte(s) read, {} WAL "
        "segment(s) checked, {} missing, {} problem(s)\n",
        result.success() ? "OK" : "FAILED", result.backups_checked, result.backups_failed,
        result.files_checked, result.bytes_read, result.wal_segments_checked,
        result.wal_segments_missing, result.errors.size());
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return exit_code;
}

}  // namespace

void AddVerifyCommand(CLI::App& app, CommandContext& context, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand(
      "verify",
      "Read a backup (and its delta chain) back from storage and check every part, file, page "
      "checksum and the WAL after it, writing nothing locally");
  auto args = std::make_shared<VerifyArgs>();
  cmd->add_option("backup_name", args->backup_name, "Backup name or LATEST (default: LATEST)");
  cmd->add_flag("--all", args->all, "Verify every backup in storage");
  cmd->add_flag("--json", args->json, "Print the whole result as JSON");
  cmd->add_option("--textfile", args->textfile_dir,
                  "Write DIR/walnut_verify.prom for node_exporter's textfile collector");
  cmd->callback([&, args] { action = [&, args] { return Verify(context, *args); }; });
}

}  // namespace walnut
