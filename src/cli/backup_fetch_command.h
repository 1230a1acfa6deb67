#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_context.h"
#include "cli/st_commands.h"

namespace walnut {

// backup-fetch DIR NAME|LATEST: restore a base backup
void AddBackupFetchCommand(CLI::App& app, CommandContext& context, CommandAction& action);

}  // namespace walnut
