#include "cli/wal_fetch_command.h"

#include <functional>
#include <memory>
#include <string>

#include <unistd.h>

#include "common/error.h"
#include "common/logging.h"
#include "localfs/local_fs.h"
#include "wal/restore_exit_status.h"
#include "wal/wal_command_options.h"
#include "wal/wal_restore.h"

namespace walnut {
namespace {

// A prefetcher still running after this is stuck (an unreachable storage): it ends, and a later
// one takes over its segments.
constexpr unsigned kPrefetchTimeLimitSeconds = 600;

wal::WalRestoreOptions RestoreOptions(CommandContext& context) {
  wal::WalRestoreOptions options =
      wal::WalRestoreOptionsFromSettings(context.settings(), LocalFs::Default());
  options.start_prefetcher = true;
  return options;
}

wal::WalArchive Archive(CommandContext& context) {
  return wal::WalArchive{
      .root = [&context]() -> const Folder& { return context.root(); },
      .pipeline = [&context]() -> const PipelineOptions& { return context.pipeline(); }};
}

int WalFetch(CommandContext& context, const std::string& name, const std::string& destination) {
  return wal::RestoreWalFile(name, destination, RestoreOptions(context), Archive(context)) ==
                 wal::WalRestoreResult::kNotArchived
             ? wal::kExitNotArchived
             : 0;
}

// The one place where a wal-fetch failure becomes an exit status. Every failure but absence
// (settings errors included, whose usual status is 2) exits with the status PostgreSQL must
// hear: one that stops archive recovery when it runs in one (the working directory is the data
// directory), else 1.
int FailureStatusOnFailure(const std::function<int()>& fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    int status = wal::FailedFetchExitStatus(wal::ReadRecoverySignals(LocalFs::Default(), "."));
    if (status == wal::kExitStopRecovery) {
      spdlog::error(
          "{}; exit status {} stops archive recovery (recovery.signal) instead of ending "
          "it short of this WAL: fix the cause and start the server again to resume",
          e.what(), status);
    } else {
      spdlog::error("{}", e.what());
    }
    return status;
  }
}

}  // namespace

void AddWalFetchCommand(CLI::App& app, CommandContext& context, CommandAction& action) {
  {
    CLI::App* cmd = app.add_subcommand(
        "wal-fetch",
        "Restore one WAL file from the archive (restore_command = 'walnut wal-fetch %f %p'). "
        "Exits 0 when restored, 74 when it is not archived; on any other failure, after retrying, "
        "255 when PostgreSQL is in archive recovery (recovery.signal without standby.signal in "
        "the working directory), so that recovery stops with FATAL instead of ending early, and "
        "can be resumed; else 1 (a standby retries by itself)");
    auto name = std::make_shared<std::string>();
    auto destination = std::make_shared<std::string>();
    cmd->add_option("wal_name", *name, "WAL file name (%f)")->required();
    cmd->add_option("destination_filename", *destination, "Path to write (%p)")->required();
    AddTargetStorageOption(*cmd, context);
    cmd->callback([&, name, destination] {
      action = [&, name, destination] {
        return FailureStatusOnFailure([&] { return WalFetch(context, *name, *destination); });
      };
    });
  }
  {
    // Started by wal-fetch, detached: downloads the next segments into the prefetch folder.
    CLI::App* cmd = app.add_subcommand("wal-prefetch", "Prefetch the WAL segments after one");
    cmd->group("");
    auto name = std::make_shared<std::string>();
    auto location = std::make_shared<std::string>();
    cmd->add_option("wal_name", *name, "WAL segment fetched")->required();
    cmd->add_option("location", *location, "Path it was restored to")->required();
    cmd->callback([&, name, location] {
      action = [&, name, location] {
        ::alarm(kPrefetchTimeLimitSeconds);
        wal::PrefetchAfter(*name, *location, RestoreOptions(context), Archive(context));
        return 0;
      };
    });
  }
}

}  // namespace walnut
