#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_context.h"
#include "cli/st_commands.h"

namespace walnut {

// `flags`: every setting Walnut knows, its flag, current value (secrets masked) and source.
void AddFlagsCommand(CLI::App& app, CommandContext& context, CommandAction& action);

}  // namespace walnut
