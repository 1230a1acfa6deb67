#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_context.h"
#include "cli/st_commands.h"

namespace walnut {

// daemon SOCKET: serve wal-push and wal-fetch over WAL-G's daemon protocol on a Unix socket
void AddDaemonCommand(CLI::App& app, CommandContext& context, CommandAction& action);

}  // namespace walnut
