#include "cli/check_command.h"

#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "observe/cluster_check.h"

namespace walnut {
namespace {

int RunCheck(CommandContext& context, int timeout_seconds) {
  observe::ClusterCheckOptions options;
  options.timeout = std::chrono::seconds(timeout_seconds);
  options.segment_size = context.settings().wal_segment_size;
  options.compression = context.pipeline().compression;
  options.report = [](const observe::CheckResult& r) {
    std::string line = fmt::format("{:<7} {}: {}\n", r.ok ? "ok" : "FAILED", r.name, r.detail);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
  };
  return observe::CheckCluster(context.root(), options) ? 0 : 1;
}

}  // namespace

void AddCheckCommand(CLI::App& app, CommandContext& context, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand(
      "check", "Check that the database archives its WAL into the storage with this tool");
  auto timeout = std::make_shared<int>(60);
  cmd->add_option("--timeout", *timeout,
                  "Seconds to wait for the switched WAL segment to reach the storage")
      ->check(CLI::Range(1, 86400));
  cmd->callback([&, timeout] { action = [&, timeout] { return RunCheck(context, *timeout); }; });
}

}  // namespace walnut
