#include "cli/wal_fetch_command.h"

#include "common/error.h"

namespace walnut {

void AddWalFetchCommand(CLI::App& app, CommandContext& /*context*/, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand("wal-fetch", "wal-fetch: restore one WAL file (restore_command), prefetching the next ones");
  cmd->allow_extras();
  cmd->callback([&action] {
    action = []() -> int { throw Error(ErrorCode::kUnsupported, "wal-fetch is not implemented yet"); };
  });
}

}  // namespace walnut
