#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_context.h"
#include "cli/st_commands.h"

namespace walnut {

// metrics [--textfile DIR]: the storage's backups and WAL, the last drill and verify, and the
// database's archiver in Prometheus' text format (observe/archive_metrics.h), on standard output
// or written atomically to DIR/walnut.prom for node_exporter's textfile collector.
void AddMetricsCommand(CLI::App& app, CommandContext& context, CommandAction& action);

}  // namespace walnut
