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

// The `count` segments after `name` on its timeline (WAL-G's GetNextWalFilename) that are neither
// prefetched nor being prefetched. `name` must be a segment name.
std::vector<std::string> SegmentsToPrefetch(const PrefetchDir& dir, std::string_view name,
                                            int count, uint64_t segment_size);

// Downloads `names` from `wal_folder` into `dir`, all at once, each verified as wal-fetch verifies
// (FetchWalFile) in running/ and then renamed into the folder. Segments not in the archive are
// skipped quietly: running ahead of the archive is the normal end of a prefetch. Failures are
// logged as warnings and never thrown (wal-fetch downloads what is missing itself). Returns the
// number of files prefetched.
size_t PrefetchWalFiles(const Folder& wal_folder, const PipelineOptions& pipeline,
                        const PrefetchDir& dir, const std::vector<std::string>& names,
                        const WalFetchOptions& options);

}  // namespace walnut::wal
