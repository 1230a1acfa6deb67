#include "cli/wal_push_command.h"

#include <memory>
#include <string>

#include <fmt/format.h>

#include "common/error.h"
#include "common/logging.h"
#include "localfs/local_fs.h"
#include "wal/wal_command_options.h"
#include "wal/wal_push.h"
#include "wal/wal_push_deadline.h"

namespace walnut {
namespace {

int RunWalPush(CommandContext& context, const std::string& path) {
  const Settings& s = context.settings();
  context.set_writes(true);
  const Folder& root = context.root();
  // Armed before any storage request: a dead storage must not stall PostgreSQL's archiver.
  WalPushDeadline deadline(s.wal_push_timeout,
                           fmt::format("wal-push of {} to {}", path, root.storage().Describe()));
  WalPushOptions options = wal::WalPushOptionsFromSettings(
      s, root.storage(), context.pipeline(), LocalFs::Default(), s.wal_push_timeout);
  WalPush(root, path, options);
  return 0;
}

}  // namespace

void AddWalPushCommand(CLI::App& app, CommandContext& context, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand(
      "wal-push",
      "Archive one WAL file (archive_command = 'walnut wal-push %p') and upload the other ready "
      "ones ahead");
  AddTargetStorageOption(*cmd, context);
  auto path = std::make_shared<std::string>();
  cmd->add_option("wal_filepath", *path, "The WAL file to archive (%p)")->required();
  cmd->callback([&context, &action, path] {
    action = [&context, path] { return RunWalPush(context, *path); };
  });
}

}  // namespace walnut
