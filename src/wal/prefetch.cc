#include "wal/prefetch.h"

#include <atomic>

#include "common/error.h"
#include "common/logging.h"
#include "concurrency/task_group.h"
#include "localfs/paths.h"
#include "wal/free_space_guard.h"

namespace walnut::wal {

std::vector<std::string> SegmentsToPrefetch(const PrefetchDir& dir, std::string_view name,
                                            int count, uint64_t segment_size) {
  std::vector<std::string> names;
  std::optional<pg::WalSegment> segment = pg::ParseWalFileName(name, segment_size);
  if (!segment) return names;
  for (int i = 0; i < count; ++i) {
    ++segment->segno;
    std::string next = pg::WalFileName(*segment, segment_size);
    if (!dir.HasOrFetching(next, kAbandonedPrefetchAge)) names.push_back(std::move(next));
  }
  return names;
}

size_t PrefetchWalFiles(const Folder& wal_folder, const PipelineOptions& pipeline,
                        const PrefetchDir& dir, const std::vector<std::string>& names,
                        const WalFetchOptions& options) {
  if (names.empty()) return 0;
  try {
    CreateDirectories(dir.fs(), dir.running().string(), 0777, /*sync=*/false);
  } catch (const Error& e) {
    spdlog::warn("cannot create the prefetch directory: {}", e.what());
    return 0;
  }
  // As many segments as fit beside the reserve; each download also stops by itself should the
  // disk fill meanwhile (another prefetcher, PostgreSQL).
  size_t count = names.size();
  uint64_t free = 0;
  if (options.free_space_reserve > 0 &&
      !HasRoomFor(dir.fs(), dir.root().string(), count * options.segment_size,
                  options.free_space_reserve, &free)) {
    count = free > options.free_space_reserve
                ? static_cast<size_t>((free - options.free_space_reserve) / options.segment_size)
                : 0;
    spdlog::info(
        "{} MiB free on {}: prefetching {} of {} segments, keeping {} MiB free for "
        "wal-fetch",
        free >> 20, dir.root().string(), count, names.size(), options.free_space_reserve >> 20);
    if (count == 0) return 0;
  }
  WalFetchOptions fetch = options;
  fetch.temporary_dir = dir.running().string();
  fetch.mark_unverified = true;  // this process's stderr goes nowhere: wal-fetch warns
  std::atomic<size_t> fetched{0};
  TaskGroup tasks(count);
  for (size_t i = 0; i < count; ++i) {
    tasks.Submit([&, name = names[i]](std::stop_token) {
      try {
        std::string destination = dir.ReadyPath(name).string();
        if (FetchWalFile(wal_folder, pipeline, name, destination, fetch) ==
            WalFetchResult::kFetched) {
          ++fetched;
          spdlog::debug("prefetched {}", name);
        } else {
          spdlog::debug("{} is not archived (yet): not prefetched", name);
        }
      } catch (const std::exception& e) {
        spdlog::warn("cannot prefetch {}: {}", name, e.what());
      }
    });
  }
  tasks.Wait();
  return fetched;
}

}  // namespace walnut::wal
