#include "wal/prefetch.h"

#include <atomic>
#include <filesystem>
#include <system_error>

#include "common/logging.h"
#include "concurrency/task_group.h"

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
  std::error_code ec;
  std::filesystem::create_directories(dir.running(), ec);
  if (ec) {
    spdlog::warn("cannot create the prefetch directory {}: {}", dir.running().string(),
                 ec.message());
    return 0;
  }
  WalFetchOptions fetch = options;
  fetch.temporary_dir = dir.running().string();
  fetch.mark_unverified = true;  // this process's stderr goes nowhere: wal-fetch warns
  std::atomic<size_t> fetched{0};
  TaskGroup tasks(names.size());
  for (const std::string& name : names) {
    tasks.Submit([&, name](std::stop_token) {
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
