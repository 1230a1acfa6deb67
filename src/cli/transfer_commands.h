#pragma once

#include <CLI/CLI.hpp>

#include "cli/command_context.h"
#include "cli/st_commands.h"

namespace walnut {

// `st transfer files|pg-wals|backups` (between the configured storages: the primary and the
// failover storages) and `st copy --from CFG --to CFG` (objects under a prefix between two config
// files), under the `st` command `st`.
void AddStorageTransferCommands(CLI::App& st, CommandContext& context, CommandAction& action);

// `copy --from CFG --to CFG [--backup-name NAME] [--with-history] [--without-history]`.
void AddCopyCommand(CLI::App& app, CommandContext& context, CommandAction& action);

}  // namespace walnut
