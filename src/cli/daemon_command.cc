#include "cli/daemon_command.h"

#include <filesystem>
#include <memory>
#include <string>

#include "cli/stop_signals.h"
#include "common/error.h"
#include "daemon/daemon_server.h"
#include "localfs/local_fs.h"
#include "wal/wal_command_options.h"

namespace walnut {
namespace {

int RunDaemonCommand(CommandContext& context, const std::string& socket_path) {
  const Settings& s = context.settings();
  if (s.pgdata.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "PGDATA is not set: the daemon reads WAL from $PGDATA/pg_wal and writes fetched "
                "WAL relative to it, as WAL-G's daemon; set PGDATA (or --pgdata)");
  }
  context.set_writes(true);
  const Folder& root = context.root();
  const PipelineOptions& pipeline = context.pipeline();
  LocalFs& fs = LocalFs::Default();
  daemon::DaemonOptions options{
      .socket_path = socket_path,
      // Requests are resolved against it whatever the daemon's working directory becomes.
      .pgdata = std::filesystem::absolute(s.pgdata),
      .fs = fs,
      .push = wal::WalPushOptionsFromSettings(s, root.storage(), pipeline, fs,
                                              s.daemon_wal_upload_timeout),
      .fetch = wal::WalRestoreOptionsFromSettings(s, fs),
      .request_timeout = s.daemon_wal_upload_timeout};
  StopSignals signals;
  daemon::RunDaemon(root, pipeline, std::move(options), StopSignals::Flag());
  return 0;
}

}  // namespace

void AddDaemonCommand(CLI::App& app, CommandContext& context, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand(
      "daemon",
      "Serve wal-push and wal-fetch on a Unix socket with WAL-G's daemon protocol "
      "(archive_command = 'walnut-daemon-client SOCKET wal-push %f', restore_command = "
      "'walnut-daemon-client SOCKET wal-fetch %f %p'); needs PGDATA; SIGTERM or SIGINT stop it");
  AddTargetStorageOption(*cmd, context);
  auto socket_path = std::make_shared<std::string>();
  cmd->add_option("socket_path", *socket_path, "The Unix socket to listen on")->required();
  cmd->callback([&context, &action, socket_path] {
    action = [&context, socket_path] { return RunDaemonCommand(context, *socket_path); };
  });
}

}  // namespace walnut
