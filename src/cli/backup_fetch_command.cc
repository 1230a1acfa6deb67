#include "cli/backup_fetch_command.h"

#include "common/error.h"

namespace walnut {

void AddBackupFetchCommand(CLI::App& app, CommandContext& /*context*/, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand("backup-fetch", "backup-fetch DIR NAME|LATEST: restore a base backup");
  cmd->allow_extras();
  cmd->callback([&action] {
    action = []() -> int { throw Error(ErrorCode::kUnsupported, "backup-fetch is not implemented yet"); };
  });
}

}  // namespace walnut
