#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_context.h"
#include "cli/st_commands.h"

namespace walnut {

// wal-verify integrity|timeline... [--json] [--timeline N --lsn X/Y] [--backup-name NAME]:
// checks the archived WAL against the server's current segment (from the database unless
// --timeline and --lsn give it). Exits 0 whatever the checks find, as WAL-G: the verdict is in
// the output.
void AddWalVerifyCommand(CLI::App& app, CommandContext& context, CommandAction& action);

}  // namespace walnut
