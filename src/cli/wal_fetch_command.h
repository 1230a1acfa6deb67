#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_context.h"
#include "cli/st_commands.h"

namespace walnut {

// wal-fetch: restore one WAL file (restore_command), prefetching the next ones
void AddWalFetchCommand(CLI::App& app, CommandContext& context, CommandAction& action);

}  // namespace walnut
