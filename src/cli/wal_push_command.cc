#include "cli/wal_push_command.h"

#include "common/error.h"

namespace walnut {

void AddWalPushCommand(CLI::App& app, CommandContext& /*context*/, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand("wal-push", "wal-push: archive one WAL file (archive_command) and upload ready ones ahead");
  cmd->allow_extras();
  cmd->callback([&action] {
    action = []() -> int { throw Error(ErrorCode::kUnsupported, "wal-push is not implemented yet"); };
  });
}

}  // namespace walnut
