#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_context.h"
#include "cli/st_commands.h"

namespace walnut {

// drill [NAME|LATEST]: restore a backup into a scratch area, recover it with a private
// PostgreSQL, check it, report (docs/drill.md)
void AddDrillCommand(CLI::App& app, CommandContext& context, CommandAction& action);

}  // namespace walnut
