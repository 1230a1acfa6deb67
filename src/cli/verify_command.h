#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_context.h"
#include "cli/st_commands.h"

namespace walnut {

// verify [NAME|LATEST] [--all] [--json] [--textfile DIR]: reads backups back from storage and
// checks them and their WAL (verify/backup_verify.h); stores the result at
// walnut_reports/verify.json. Exits non-zero when a problem was found.
void AddVerifyCommand(CLI::App& app, CommandContext& context, CommandAction& action);

}  // namespace walnut
