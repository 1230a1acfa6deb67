#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_context.h"
#include "cli/st_commands.h"

namespace walnut {

// wal-push: archive one WAL file (archive_command) and upload ready ones ahead
void AddWalPushCommand(CLI::App& app, CommandContext& context, CommandAction& action);

}  // namespace walnut
