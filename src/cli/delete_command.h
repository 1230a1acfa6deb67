#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_context.h"
#include "cli/st_commands.h"

namespace walnut {

// delete retain|before|everything|target|garbage: retention (docs/retention.md)
void AddDeleteCommand(CLI::App& app, CommandContext& context, CommandAction& action);

}  // namespace walnut
