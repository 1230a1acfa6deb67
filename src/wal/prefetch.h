#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/pipeline.h"
#include "storage/folder.h"
#include "wal/prefetch_dir.h"
#include "wal/wal_fetch.h"

namespace walnut::wal {

// An in-progress prefetch file untouched this long belongs to a prefetcher that died (or hangs):
// a later prefetcher downloads the segment again and cleaning removes the file.
inline constexpr std::chrono::seconds kAbandonedPrefetchAge{60};

// The free space the prefetcher leaves on the prefetch folder's file system: room for wal-fetch
// to write the segments PostgreSQL asks for (two, so a fetch still fits beside a file being
// replaced) and 128 MiB for PostgreSQL itself (data files grow during replay). Prefetching only
// saves time; running a nearly full disk out of space would stop the recovery.
inline uint64_t PrefetchFreeSpaceReserve(uint64_t segment_size) {
  return (uint64_t{128} << 20) + 2 * segment_size;
}

// The `count` segments after `name` on its timeline (WAL-G's GetNextWalFilename) that are neither
// prefetched nor being prefetched. `name` must be a segment name.
std::vector<std::string> SegmentsToPrefetch(const PrefetchDir& dir, std::string_view name,
                                            int count, uint64_t segment_size);

// Downloads `names` from `wal_folder` into `dir`, all at once, each verified as wal-fetch verifies
// (FetchWalFile) in running/ and then renamed into the folder. Segments not in the archive are
// skipped quietly: running ahead of the archive is the normal end of a prefetch. Keeps
// options.free_space_reserve free on the folder's file system: only as many segments as fit
// beside it are started, and a download that would eat into it (the disk filled meanwhile)
// stops and removes its file. Failures are logged as warnings and never thrown (wal-fetch
// downloads what is missing itself). Returns the number of files prefetched.
size_t PrefetchWalFiles(const Folder& wal_folder, const PipelineOptions& pipeline,
                        const PrefetchDir& dir, const std::vector<std::string>& names,
                        const WalFetchOptions& options);

}  // namespace walnut::wal
