#include "wal/wal_restore.h"

#include <filesystem>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "common/logging.h"
#include "localfs/paths.h"
#include "wal/free_space_guard.h"
#include "wal/prefetch.h"
#include "wal/prefetch_dir.h"
#include "wal/prefetch_spawn.h"
#include "wal/wal_catalog.h"
#include "wal/wal_fetch.h"

namespace walnut::wal {
namespace {

void CheckWalFileNameArgument(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a WAL file name: wal-fetch takes %f (a file name such as "
                            "000000010000000000000003) and %p (the path to write)",
                            name));
  }
}

std::optional<pg::WalSegment> SegmentOf(std::string_view name, uint64_t segment_size) {
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

WalFetchOptions FetchOptions(const WalRestoreOptions& options) {
  WalFetchOptions fetch{.fs = options.fs};
  fetch.segment_size = options.segment_size;
  fetch.retry.max_attempts = 1 + options.download_retries;
  return fetch;
}

// The prefetcher downloads the next segments while PostgreSQL replays this one.
void StartPrefetcher(LocalFs& fs, std::string_view name, const std::string& destination) {
  try {
    std::vector<std::string> args = {"wal-prefetch", std::string(name),
                                     std::filesystem::absolute(destination).string()};
    for (std::string& arg : InheritedSettingArgs(fs)) args.push_back(std::move(arg));
    StartDetached(args);
  } catch (const std::exception& e) {
    spdlog::warn("cannot start the WAL prefetcher after {}: {}", name, e.what());
  }
}

// Prefetched files must never cost wal-fetch its own file: when the destination's file system
// has no room for one more file of `size` bytes (and a margin of one more), they go.
void MakeRoomFor(std::string_view name, const std::string& destination, uint64_t size,
                 const PrefetchDir& prefetch_dir) {
  uint64_t free = 0;
  std::string dir = DirName(destination);
  if (HasRoomFor(prefetch_dir.fs(), dir, 2 * size, 0, &free)) return;
  if (size_t removed = prefetch_dir.RemoveAll(); removed > 0) {
    spdlog::info("{} MiB free on {}: removed {} prefetched WAL file(s) to make room for {}",
                 free >> 20, dir, removed, name);
  }
}

}  // namespace

WalRestoreResult RestoreWalFile(std::string_view name, const std::string& destination,
                                const WalRestoreOptions& options, const WalArchive& archive) {
  CheckWalFileNameArgument(name);
  // Only local work before the prefetch folder is looked at: a prefetch hit opens no storage and
  // loads no key.
  std::optional<pg::WalSegment> segment = SegmentOf(name, options.segment_size);
  auto prefetch_dir = PrefetchDir::For(options.fs, options.prefetch_dir, destination);
  if (segment && TakePrefetched(prefetch_dir, name, *segment, options.segment_size, destination)) {
    spdlog::debug("restored {} from the prefetch folder {}", name, prefetch_dir.root().string());
  } else {
    MakeRoomFor(name, destination, options.segment_size, prefetch_dir);
    Folder wal_folder = archive.root().Sub(kWalFolder);
    WalFetchOptions fetch = FetchOptions(options);
    fetch.durable = false;
    if (FetchWalFile(wal_folder, archive.pipeline(), name, destination, fetch) ==
        WalFetchResult::kNotFound) {
      // Normal: PostgreSQL probes for timeline history files, and asks for the segment after the
      // last archived one to learn that recovery has reached the end of the archive.
      spdlog::info("{} is not archived in {}/{}", name, wal_folder.storage().Describe(),
                   wal_folder.path());
      return WalRestoreResult::kNotArchived;
    }
    spdlog::debug("restored {} from {}", name, wal_folder.storage().Describe());
  }
  if (segment && options.prefetch_count > 1 && options.start_prefetcher) {
    StartPrefetcher(options.fs, name, destination);
  }
  return WalRestoreResult::kRestored;
}

void PrefetchAfter(std::string_view name, const std::string& location,
                   const WalRestoreOptions& options, const WalArchive& archive) {
  CheckWalFileNameArgument(name);
  if (!SegmentOf(name, options.segment_size)) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("{} is not a WAL segment name", name));
  }
  auto prefetch_dir = PrefetchDir::For(options.fs, options.prefetch_dir, location);
  prefetch_dir.Clean(name, kAbandonedPrefetchAge);
  std::vector<std::string> names =
      SegmentsToPrefetch(prefetch_dir, name, options.prefetch_count, options.segment_size);
  if (names.empty()) return;
  WalFetchOptions fetch = FetchOptions(options);
  fetch.free_space_reserve = PrefetchFreeSpaceReserve(options.segment_size);
  PrefetchWalFiles(archive.root().Sub(kWalFolder), archive.pipeline(), prefetch_dir, names, fetch);
}

}  // namespace walnut::wal
