#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_context.h"
#include "cli/st_commands.h"

namespace walnut {

// wal-verify integrity|timeline: check the archive is complete
void AddWalVerifyCommand(CLI::App& app, CommandContext& context, CommandAction& action);

}  // namespace walnut
