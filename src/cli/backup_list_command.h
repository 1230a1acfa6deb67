#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_context.h"
#include "cli/st_commands.h"

namespace walnut {

// backup-list: the backups in storage
void AddBackupListCommand(CLI::App& app, CommandContext& context, CommandAction& action);

}  // namespace walnut
