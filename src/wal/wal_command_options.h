#pragma once

#include <chrono>

#include "config/settings.h"
#include "localfs/local_fs.h"
#include "pipeline/pipeline.h"
#include "storage/storage.h"
#include "wal/wal_push.h"
#include "wal/wal_restore.h"

namespace walnut::wal {

// wal-push's options from the settings, for `storage` (which sizes the parallel uploads) and
// `pipeline`: small lz4 blocks and stage buffers for a segment, WALG_UPLOAD_CONCURRENCY within the
// memory budget, TOTAL_BG_UPLOADED_LIMIT, PG_READY_RENAME, WALG_PREVENT_WAL_OVERWRITE, and
// `timeout` as the call's deadline. The wal-push command and `walnut daemon` both push with these.
WalPushOptions WalPushOptionsFromSettings(const Settings& settings, const Storage& storage,
                                          const PipelineOptions& pipeline, LocalFs& fs,
                                          std::chrono::milliseconds timeout);

// wal-fetch's options from the settings (WALG_PG_WAL_SIZE, WALG_PREFETCH_DIR,
// WALG_DOWNLOAD_CONCURRENCY, WALG_DOWNLOAD_FILE_RETRIES); the prefetcher is not started.
WalRestoreOptions WalRestoreOptionsFromSettings(const Settings& settings, LocalFs& fs);

}  // namespace walnut::wal
