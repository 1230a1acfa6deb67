#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_context.h"
#include "cli/st_commands.h"

namespace walnut {

// backup-mark [-i|--impermanent] NAME: keeps a backup (and what it depends on) from delete
void AddBackupMarkCommand(CLI::App& app, CommandContext& context, CommandAction& action);

}  // namespace walnut
