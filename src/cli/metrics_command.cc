#include "cli/metrics_command.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "backup/backup_catalog.h"
#include "common/logging.h"
#include "localfs/local_fs.h"
#include "metrics/exposition.h"
#include "observe/archive_metrics.h"

namespace walnut {
namespace {

// Short: a scrape-time job must not hang on a database that does not answer.
constexpr int kDatabaseConnectTimeoutSeconds = 3;

int RunMetrics(CommandContext& context, const std::string& textfile_dir) {
  const Folder& root = context.root();
  observe::ArchiveMetricsOptions options;
  options.segment_size = context.settings().wal_segment_size;
  options.storage_label = BackupCatalog(root).Describe();
  options.archiver = [] {
    std::string why;
    auto status = observe::ProbeArchiver(kDatabaseConnectTimeoutSeconds, &why);
    if (!status) spdlog::info("database not reachable, walnut_pg_up 0: {}", why);
    return status;
  };
  std::vector<std::string> warnings;
  metrics::Exposition exposition = observe::CollectArchiveMetrics(root, options, warnings);
  for (const auto& warning : warnings) spdlog::warn("{}", warning);
  const std::string text = exposition.Text();
  if (textfile_dir.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else {
    metrics::WriteTextfile(LocalFs::Default(), textfile_dir, "walnut.prom", text);
  }
  return 0;
}

}  // namespace

void AddMetricsCommand(CLI::App& app, CommandContext& context, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand(
      "metrics", "Print the archive's metrics in Prometheus' text format (or write a textfile)");
  auto textfile = std::make_shared<std::string>();
  cmd->add_option("--textfile", *textfile,
                  "Write DIR/walnut.prom atomically (node_exporter's textfile collector) instead "
                  "of standard output");
  cmd->callback([&, textfile] { action = [&, textfile] { return RunMetrics(context, *textfile); }; });
}

}  // namespace walnut
