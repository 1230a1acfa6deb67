#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/retry.h"
#include "localfs/local_fs.h"
#include "pipeline/pipeline.h"
#include "postgres/wal_file_name.h"
#include "storage/folder.h"

namespace walnut::wal {

struct WalFetchOptions {
  LocalFs& fs;                                         // where the file is written
  uint64_t segment_size = pg::kDefaultWalSegmentSize;  // WALG_PG_WAL_SIZE
  // Retries of the whole download after a transient failure (the storage also retries each
  // request on its own).
  RetryPolicy retry{};
  size_t chunk_size = 1 << 20;  // bytes handed from decoding to the file at once
  // Where the temporary file is written before it is renamed to the destination: "" for the
  // destination's directory. Must be on the destination's file system.
  std::string temporary_dir{};
  // Whether the file is fsynced (with its directory) before the caller hears of it. Prefetched
  // files must be: they outlive a crash. %p need not be (pgBackRest's archive-get does not
  // either): PostgreSQL reads it at once, fsyncs it itself when it keeps it, and after a crash
  // removes it and asks again.
  bool durable = true;
  // For the prefetcher, whose stderr goes nowhere: a file whose object has no recorded SHA-256 is
  // marked (kUnverifiedMark, an extended attribute) instead of warned about, and the wal-fetch
  // that takes it from the prefetch folder says it (TakePrefetched).
  bool mark_unverified = false;
  // The download stops (and its temporary file is removed) rather than leave less than this many
  // bytes free on the destination's file system: a prefetch gives way to wal-fetch itself. 0
  // for no limit.
  uint64_t free_space_reserve = 0;
};

// The metadata name (localfs/file_metadata.h, "user.walnut.<name>") of the mark on a prefetched
// file whose content could not be verified; its value is the warning to give.
inline constexpr const char* kUnverifiedMark = "unverified";

enum class WalFetchResult { kFetched, kNotFound };

// Restores the WAL file `name` (a segment, .partial, .history or .backup file; no compression
// extension) from `wal_folder` (wal_005/) to `destination`: found under any compression extension
// as WAL-G probes them, decrypted, decompressed and verified (the uploader's SHA-256 when
// recorded, else one WARNING line that it could not be; VerifyingWalWriter: size and page header
// of segments). The file appears at `destination` only complete, verified and synced
// (AtomicFileWriter); on any failure nothing is left there.
// Returns kNotFound when no object exists for `name`. Throws on anything else: kCorruption for
// damaged objects, kUnsupported for an object only stored with a compression Walnut cannot read.
WalFetchResult FetchWalFile(const Folder& wal_folder, const PipelineOptions& pipeline,
                            std::string_view name, const std::string& destination,
                            const WalFetchOptions& options);

}  // namespace walnut::wal
