#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "localfs/local_fs.h"
#include "postgres/wal_file_name.h"

namespace walnut::wal {

// WAL-G's prefetch folder, <base>/.wal-g/prefetch/: segments downloaded ahead of PostgreSQL's
// requests, complete and verified, under their WAL names; downloads in progress in running/, one
// temporary file per prefetcher (".<name>.walnut-tmp-<random>"), so that two prefetchers of the
// same segment never write the same file. Files only move by rename(): running/ -> the folder
// (prefetcher), the folder -> %p (wal-fetch). Each method is safe to call while other processes
// work in the folder. Files are reached through `fs`, which must outlive the PrefetchDir.
class PrefetchDir {
 public:
  // `base` is WALG_PREFETCH_DIR when set, else the directory of `destination` (%p), as WAL-G.
  static PrefetchDir For(LocalFs& fs, const std::string& prefetch_dir_setting,
                         const std::string& destination);
  PrefetchDir(LocalFs& fs, std::filesystem::path root) : fs_(&fs), root_(std::move(root)) {}

  LocalFs& fs() const { return *fs_; }
  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path running() const { return root_ / "running"; }
  std::filesystem::path ReadyPath(std::string_view name) const { return root_ / name; }

  // The size of the largest in-progress download of `name`; -1 when there is none.
  int64_t RunningSize(std::string_view name) const;
  // Removes the in-progress downloads of `name` (abandoned ones; a live prefetcher whose file is
  // removed only fails its final rename).
  void RemoveRunning(std::string_view name) const;
  // Whether `name` is prefetched already, or being downloaded (an in-progress file written to
  // within `fresh`: older ones are abandoned, e.g. by a killed prefetcher).
  bool HasOrFetching(std::string_view name, std::chrono::seconds fresh) const;
  // Removes prefetched and in-progress files of WAL files before `name` (in WAL name order, as
  // WAL-G), and in-progress files untouched for `stale`. Leaves any other file alone. Never throws.
  void Clean(std::string_view name, std::chrono::seconds stale) const;
  // Removes every prefetched and in-progress file, to give their space back to wal-fetch.
  // Returns how many it removed. Never throws.
  size_t RemoveAll() const;

 private:
  LocalFs* fs_;
  std::filesystem::path root_;
};

// How long wal-fetch waits for an in-progress prefetch, as WAL-G: it polls every `poll` and gives
// up after `stalled_polls` polls without growth (~200 ms).
struct PrefetchWait {
  std::chrono::milliseconds poll{2};
  int stalled_polls = 100;
};

// wal-fetch's side: moves the prefetched segment `name` to `destination` (rename, or a copy when
// WALG_PREFETCH_DIR is on another file system) if it is there and intact (exactly
// `segment_size` bytes, a long page header matching the name); waits for it while a download of
// it is in progress and growing. Damaged files and stalled downloads are deleted, never handed
// over. Returns false when the caller must download the segment itself. Never throws: a prefetch
// problem only costs the direct download.
bool TakePrefetched(const PrefetchDir& dir, std::string_view name, pg::WalSegment segment,
                    uint64_t segment_size, const std::string& destination,
                    const PrefetchWait& wait = {});

}  // namespace walnut::wal
