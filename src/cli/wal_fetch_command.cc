#include "cli/wal_fetch_command.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "common/error.h"
#include "common/logging.h"
#include "postgres/wal_file_name.h"
#include "wal/prefetch.h"
#include "wal/prefetch_dir.h"
#include "wal/prefetch_spawn.h"
#include "wal/restore_exit_status.h"
#include "wal/wal_catalog.h"
#include "wal/wal_fetch.h"

namespace walnut {
namespace {

// A prefetcher still running after this is stuck (an unreachable storage): it ends, and a later
// one takes over its segments.
constexpr unsigned kPrefetchTimeLimitSeconds = 600;

void CheckWalFileNameArgument(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a WAL file name: wal-fetch takes %f (a file name such as "
                            "000000010000000000000003) and %p (the path to write)",
                            name));
  }
}

std::optional<pg::WalSegment> SegmentOf(const std::string& name, uint64_t segment_size) {
  if (pg::ClassifyWalFileName(name) != pg::WalFileKind::kSegment) return std::nullopt;
  auto segment = pg::ParseWalFileName(name, segment_size);
  if (!segment) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} is not a WAL segment name for segments of {} bytes "
                            "(WALG_PG_WAL_SIZE)",
                            name, segment_size));
  }
  return segment;
}

wal::WalFetchOptions FetchOptions(const Settings& settings) {
  wal::WalFetchOptions options;
  options.segment_size = settings.wal_segment_size;
  options.retry.max_attempts = 1 + settings.download_file_retries;
  return options;
}

// The prefetcher downloads the next segments while PostgreSQL replays this one.
void StartPrefetcher(const std::string& name, const std::string& destination) {
  try {
    std::vector<std::string> args = {"wal-prefetch", name,
                                     std::filesystem::absolute(destination).string()};
    for (std::string& arg : wal::InheritedSettingArgs()) args.push_back(std::move(arg));
    wal::StartDetached(args);
  } catch (const std::exception& e) {
    spdlog::warn("cannot start the WAL prefetcher after {}: {}", name, e.what());
  }
}

int WalFetch(CommandContext& context, const std::string& name, const std::string& destination) {
  CheckWalFileNameArgument(name);
  // Only local work before the prefetch folder is looked at: a prefetch hit opens no storage and
  // loads no key.
  const Settings& settings = context.settings();
  std::optional<pg::WalSegment> segment = SegmentOf(name, settings.wal_segment_size);
  auto prefetch_dir = wal::PrefetchDir::For(settings.prefetch_dir, destination);
  if (segment &&
      wal::TakePrefetched(prefetch_dir, name, *segment, settings.wal_segment_size, destination)) {
    spdlog::debug("restored {} from the prefetch folder {}", name, prefetch_dir.root().string());
  } else {
    Folder wal_folder = context.root().Sub(wal::kWalFolder);
    wal::WalFetchOptions options = FetchOptions(settings);
    options.durable = false;
    if (wal::FetchWalFile(wal_folder, context.pipeline(), name, destination, options) ==
        wal::WalFetchResult::kNotFound) {
      // Normal: PostgreSQL probes for timeline history files, and asks for the segment after the
      // last archived one to learn that recovery has reached the end of the archive.
      spdlog::info("{} is not archived in {}/{}", name, wal_folder.storage().Describe(),
                   wal_folder.path());
      return wal::kExitNotArchived;
    }
    spdlog::debug("restored {} from {}", name, wal_folder.storage().Describe());
  }
  if (segment && settings.download_concurrency > 1) StartPrefetcher(name, destination);
  return 0;
}

int WalPrefetch(CommandContext& context, const std::string& name, const std::string& location) {
  ::alarm(kPrefetchTimeLimitSeconds);
  CheckWalFileNameArgument(name);
  const Settings& settings = context.settings();
  if (!SegmentOf(name, settings.wal_segment_size)) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("{} is not a WAL segment name", name));
  }
  auto prefetch_dir = wal::PrefetchDir::For(settings.prefetch_dir, location);
  prefetch_dir.Clean(name, wal::kAbandonedPrefetchAge);
  std::vector<std::string> names = wal::SegmentsToPrefetch(
      prefetch_dir, name, settings.download_concurrency, settings.wal_segment_size);
  if (names.empty()) return 0;
  wal::PrefetchWalFiles(context.root().Sub(wal::kWalFolder), context.pipeline(), prefetch_dir,
                        names, FetchOptions(settings));
  return 0;
}

// Every failure of wal-fetch but absence (settings errors included, whose usual status is 2)
// exits with the status PostgreSQL must hear: one that stops archive recovery when it runs in one
// (the working directory is the data directory), else 1.
int FailureStatusOnFailure(const std::function<int()>& fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    int status = wal::FailedFetchExitStatus(wal::ReadRecoverySignals("."));
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
      action = [&, name, location] { return WalPrefetch(context, *name, *location); };
    });
  }
}

}  // namespace walnut
