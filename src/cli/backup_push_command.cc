#include "cli/backup_push_command.h"

#include "common/error.h"

namespace walnut {

void AddBackupPushCommand(CLI::App& app, CommandContext& /*context*/, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand("backup-push", "backup-push: take a base backup of PGDATA");
  cmd->allow_extras();
  cmd->callback([&action] {
    action = []() -> int { throw Error(ErrorCode::kUnsupported, "backup-push is not implemented yet"); };
  });
}

}  // namespace walnut
