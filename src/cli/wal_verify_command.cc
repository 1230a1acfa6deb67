#include "cli/wal_verify_command.h"

#include "common/error.h"

namespace walnut {

void AddWalVerifyCommand(CLI::App& app, CommandContext& /*context*/, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand("wal-verify", "wal-verify integrity|timeline: check the archive is complete");
  cmd->allow_extras();
  cmd->callback([&action] {
    action = []() -> int { throw Error(ErrorCode::kUnsupported, "wal-verify is not implemented yet"); };
  });
}

}  // namespace walnut
