#include "wal/wal_command_options.h"

#include <algorithm>
#include <cstdint>
#include <thread>

#include "common/bytes.h"
#include "pipeline/stage_buffers.h"

namespace walnut::wal {
namespace {

// A WAL segment is small: lz4 blocks and stage buffers of kStageBufferSize keep one upload's memory
// at about 2 MiB (lz4: a block in, a block out; 4 stage buffers; the read buffer), where the
// defaults for large objects (4 MiB blocks, 1 MiB stage buffers) would take 13 MiB: the budget of
// a whole wal-push to a directory is 16 MiB, the binary included.

// Memory one upload uses besides S3 part buffers (with zstd or brotli, their own window is more).
constexpr uint64_t kPipelineMemory = 3_MiB;

// How many files wal-push uploads at once. WALG_UPLOAD_CONCURRENCY, but to a storage that buffers
// uploads (S3's parts) never so many that the buffers and pipelines of all uploads pass
// WALG_UPLOAD_CONCURRENCY x its buffer unit (one upload of a segment buffers up to about its
// compressed size). A local directory gains nothing from more uploads than cores: compression is
// the bottleneck there.
int ParallelUploads(const Settings& s, const Storage& storage) {
  uint64_t concurrency = static_cast<uint64_t>(std::max(1, s.upload_concurrency));
  if (storage.Supports(StorageFeature::kLocal)) {
    uint64_t cores = std::max(2u, std::thread::hardware_concurrency());
    return static_cast<int>(std::min(concurrency, cores));
  }
  uint64_t unit = storage.PutBufferUnit();
  if (unit == 0) return static_cast<int>(concurrency);
  // Incompressible WAL grows a little in lz4/zstd frames.
  uint64_t segment = s.wal_segment_size + s.wal_segment_size / 64 + (64 << 10);
  uint64_t per_upload = storage.PutBufferBytes(segment) + kPipelineMemory;
  uint64_t by_memory = concurrency * unit / per_upload;
  return static_cast<int>(std::clamp<uint64_t>(by_memory, 1, concurrency));
}

}  // namespace

WalPushOptions WalPushOptionsFromSettings(const Settings& s, const Storage& storage,
                                          const PipelineOptions& pipeline, LocalFs& fs,
                                          std::chrono::milliseconds timeout) {
  WalPushOptions options{.fs = fs};
  options.file.pipeline = pipeline;
  options.file.pipeline.compression_options.lz4_block_size = kStageBufferSize;
  options.file.pipeline.stage_buffer_size = kStageBufferSize;
  options.file.segment_size = s.wal_segment_size;
  options.file.prevent_overwrite = s.prevent_wal_overwrite;
  options.parallel_uploads = ParallelUploads(s, storage);
  options.upload_ahead_limit = s.total_bg_uploaded_limit;
  options.ready_rename = s.pg_ready_rename;
  options.timeout = timeout;
  return options;
}

WalRestoreOptions WalRestoreOptionsFromSettings(const Settings& settings, LocalFs& fs) {
  WalRestoreOptions options{.fs = fs};
  options.segment_size = settings.wal_segment_size;
  options.prefetch_dir = settings.prefetch_dir;
  options.prefetch_count = settings.download_concurrency;
  options.download_retries = settings.download_file_retries;
  return options;
}

}  // namespace walnut::wal
