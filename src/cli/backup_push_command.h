#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_context.h"
#include "cli/st_commands.h"

namespace walnut {

// backup-push: take a base backup of PGDATA
void AddBackupPushCommand(CLI::App& app, CommandContext& context, CommandAction& action);

}  // namespace walnut
