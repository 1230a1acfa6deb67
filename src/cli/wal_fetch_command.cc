#include "cli/wal_fetch_command.h"

#include <memory>
#include <string>

#include <unistd.h>

#include "common/error.h"
#include "common/logging.h"
#include "localfs/local_fs.h"
#include "wal/wal_restore.h"

namespace walnut {
namespace {

// EX_IOERR, as WAL-G: the file is not archived. PostgreSQL treats any exit code below 126 as
// "not available" and ends archive recovery (or switches to streaming).
constexpr int kExitNotArchived = 74;
constexpr int kExitFailure = 1;

// A prefetcher still running after this is stuck (an unreachable storage): it ends, and a later
// one takes over its segments.
constexpr unsigned kPrefetchTimeLimitSeconds = 600;

wal::WalRestoreOptions RestoreOptions(CommandContext& context) {
  const Settings& settings = context.settings();
  wal::WalRestoreOptions options{.fs = LocalFs::Default()};
  options.segment_size = settings.wal_segment_size;
  options.prefetch_dir = settings.prefetch_dir;
  options.prefetch_count = settings.download_concurrency;
  options.download_retries = settings.download_file_retries;
  options.start_prefetcher = true;
  return options;
}

wal::WalArchive Archive(CommandContext& context) {
  return wal::WalArchive{
      .root = [&context]() -> const Folder& { return context.root(); },
      .pipeline = [&context]() -> const PipelineOptions& { return context.pipeline(); }};
}

// The one place where a wal-fetch failure becomes an exit status: 1 for every failure but
// absence, settings errors included (the CLI's usual exit status for those is 2).
int ExitStatusOf(const std::function<int()>& fetch) {
  try {
    return fetch();
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kInvalidArgument) throw;
    spdlog::error("{}", e.what());
    return kExitFailure;
  }
}

}  // namespace

void AddWalFetchCommand(CLI::App& app, CommandContext& context, CommandAction& action) {
  {
    CLI::App* cmd = app.add_subcommand(
        "wal-fetch",
        "Restore one WAL file from the archive (restore_command = 'walnut wal-fetch %f %p'); "
        "exits 74 when it is not archived");
    auto name = std::make_shared<std::string>();
    auto destination = std::make_shared<std::string>();
    cmd->add_option("wal_name", *name, "WAL file name (%f)")->required();
    cmd->add_option("destination_filename", *destination, "Path to write (%p)")->required();
    cmd->callback([&, name, destination] {
      action = [&, name, destination] {
        return ExitStatusOf([&] {
          return wal::RestoreWalFile(*name, *destination, RestoreOptions(context),
                                     Archive(context)) == wal::WalRestoreResult::kNotArchived
                     ? kExitNotArchived
                     : 0;
        });
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
