#include "cli/backup_mark_command.h"

#include <memory>
#include <string>

#include "backup/backup_catalog.h"
#include "backup/backup_mark.h"

namespace walnut {
namespace {

struct BackupMarkFlags {
  std::string name;
  bool impermanent = false;
};

}  // namespace

void AddBackupMarkCommand(CLI::App& app, CommandContext& context, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand(
      "backup-mark",
      "Marks a backup permanent (delete keeps it, and every backup it depends on), or with -i "
      "impermanent again");
  auto options = std::make_shared<BackupMarkFlags>();
  cmd->add_option("backup_name", options->name, "Backup name, or LATEST")->required();
  cmd->add_flag("-i,--impermanent", options->impermanent,
                "Marks the backup impermanent (refused while a permanent backup depends on it)");
  cmd->callback([&context, &action, options] {
    action = [&context, options]() -> int {
      MarkBackup(BackupCatalog(context.root()), options->name, !options->impermanent);
      return 0;
    };
  });
}

}  // namespace walnut
