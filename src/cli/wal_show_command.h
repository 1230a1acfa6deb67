#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_context.h"
#include "cli/st_commands.h"

namespace walnut {

// wal-show [--detailed-json] [--without-backups]: the WAL in storage per timeline, its gaps and
// the backups taken on it. Needs no database.
void AddWalShowCommand(CLI::App& app, CommandContext& context, CommandAction& action);

}  // namespace walnut
