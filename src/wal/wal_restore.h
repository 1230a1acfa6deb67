#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "localfs/local_fs.h"
#include "pipeline/pipeline.h"
#include "postgres/wal_file_name.h"
#include "storage/folder.h"

namespace walnut::wal {

// The archive, opened only when it is needed: a prefetch hit opens no storage and loads no key.
struct WalArchive {
  std::function<const Folder&()> root;
  std::function<const PipelineOptions&()> pipeline;
};

struct WalRestoreOptions {
  LocalFs& fs;
  uint64_t segment_size = pg::kDefaultWalSegmentSize;  // WALG_PG_WAL_SIZE
  std::string prefetch_dir{};                          // WALG_PREFETCH_DIR ("": next to %p)
  // WALG_DOWNLOAD_CONCURRENCY: segments prefetched after each one fetched; 1 or less: none.
  int prefetch_count = 10;
  int download_retries = 15;  // WALG_DOWNLOAD_FILE_RETRIES
  // Start the prefetcher (`walnut wal-prefetch`, detached) after a segment. Off in tests, where
  // this process is not walnut.
  bool start_prefetcher = false;
};

enum class WalRestoreResult { kRestored, kNotArchived };

// restore_command's work (wal-fetch %f %p): restores the WAL file `name` (%f: a file name, no
// '/') to `destination` (%p). A segment prefetched earlier is taken from the prefetch folder
// (TakePrefetched); otherwise the file is downloaded (FetchWalFile), first removing the prefetched
// files when the destination's file system is short of room for it. Then, for a segment, the
// prefetcher is started for the ones after it. Returns kNotArchived when the archive does not
// hold `name`. Throws kInvalidArgument for a bad name, else what FetchWalFile throws.
WalRestoreResult RestoreWalFile(std::string_view name, const std::string& destination,
                                const WalRestoreOptions& options, const WalArchive& archive);

// The detached prefetcher's work (wal-prefetch NAME LOCATION): cleans the prefetch folder of
// files older than `name`, then downloads the prefetch_count segments after `name` that are
// neither there nor being downloaded (PrefetchWalFiles, keeping PrefetchFreeSpaceReserve free).
void PrefetchAfter(std::string_view name, const std::string& location,
                   const WalRestoreOptions& options, const WalArchive& archive);

}  // namespace walnut::wal
