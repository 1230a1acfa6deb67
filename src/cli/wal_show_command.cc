#include "cli/wal_show_command.h"

#include "common/error.h"

namespace walnut {

void AddWalShowCommand(CLI::App& app, CommandContext& /*context*/, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand("wal-show", "wal-show: archived WAL per timeline, with gaps");
  cmd->allow_extras();
  cmd->callback([&action] {
    action = []() -> int { throw Error(ErrorCode::kUnsupported, "wal-show is not implemented yet"); };
  });
}

}  // namespace walnut
