#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_context.h"
#include "cli/st_commands.h"

namespace walnut {

// check [--timeout SECONDS]: on the database host, proves that the database archives into the
// configured storage with this tool (observe/cluster_check.h). One line per check on standard
// output; exit 1 when any failed.
void AddCheckCommand(CLI::App& app, CommandContext& context, CommandAction& action);

}  // namespace walnut
