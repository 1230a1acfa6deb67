#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_context.h"
#include "cli/st_commands.h"

namespace walnut {

// wal-show: archived WAL per timeline, with gaps
void AddWalShowCommand(CLI::App& app, CommandContext& context, CommandAction& action);

}  // namespace walnut
