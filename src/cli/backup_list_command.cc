#include "cli/backup_list_command.h"

#include "common/error.h"

namespace walnut {

void AddBackupListCommand(CLI::App& app, CommandContext& /*context*/, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand("backup-list", "backup-list: the backups in storage");
  cmd->allow_extras();
  cmd->callback([&action] {
    action = []() -> int { throw Error(ErrorCode::kUnsupported, "backup-list is not implemented yet"); };
  });
}

}  // namespace walnut
