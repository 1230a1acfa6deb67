#include "cli/wal_push_command.h"

#include <algorithm>
#include <memory>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "common/bytes.h"
#include "common/error.h"
#include "common/logging.h"
#include "localfs/local_fs.h"
#include "pipeline/stage_buffers.h"
#include "wal/wal_push.h"
#include "wal/wal_push_deadline.h"

namespace walnut {
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

int RunWalPush(CommandContext& context, const std::string& path) {
  const Settings& s = context.settings();
  context.set_writes(true);
  const Folder& root = context.root();
  // Armed before any storage request: a dead storage must not stall PostgreSQL's archiver.
  WalPushDeadline deadline(s.wal_push_timeout,
                           fmt::format("wal-push of {} to {}", path, root.storage().Describe()));
  WalPushOptions options{.fs = LocalFs::Default()};
  options.file.pipeline = context.pipeline();
  options.file.pipeline.compression_options.lz4_block_size = kStageBufferSize;
  options.file.pipeline.stage_buffer_size = kStageBufferSize;
  options.file.segment_size = s.wal_segment_size;
  options.file.prevent_overwrite = s.prevent_wal_overwrite;
  options.parallel_uploads = ParallelUploads(s, root.storage());
  options.upload_ahead_limit = s.total_bg_uploaded_limit;
  options.ready_rename = s.pg_ready_rename;
  options.timeout = s.wal_push_timeout;
  WalPush(root, path, options);
  return 0;
}

}  // namespace

void AddWalPushCommand(CLI::App& app, CommandContext& context, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand(
      "wal-push",
      "Archive one WAL file (archive_command = 'walnut wal-push %p') and upload the other ready "
      "ones ahead");
  AddTargetStorageOption(*cmd, context);
  auto path = std::make_shared<std::string>();
  cmd->add_option("wal_filepath", *path, "The WAL file to archive (%p)")->required();
  cmd->callback([&context, &action, path] {
    action = [&context, path] { return RunWalPush(context, *path); };
  });
}

}  // namespace walnut
