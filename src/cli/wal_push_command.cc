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
#include "storage/factory/storage_factory.h"
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

// How many files wal-push uploads at once. WALG_UPLOAD_CONCURRENCY, but on S3 never so many that
// the part buffers and pipelines of all uploads pass WALG_UPLOAD_CONCURRENCY x part size (one
// upload of a segment buffers up to about its compressed size in parts). A local directory gains
// nothing from more uploads than cores: compression is the bottleneck there.
int ParallelUploads(const Settings& s) {
  uint64_t concurrency = static_cast<uint64_t>(std::max(1, s.upload_concurrency));
  if (s.storage.type == StorageType::kS3) {
    uint64_t part = s.s3.max_part_size;
    // Incompressible WAL grows a little in lz4/zstd frames.
    uint64_t segment_parts = s.wal_segment_size + s.wal_segment_size / 64 + (64 << 10);
    uint64_t parts = std::min<uint64_t>(segment_parts, (PartsInFlight(s) + 1) * part);
    uint64_t by_memory = concurrency * part / (parts + kPipelineMemory);
    return static_cast<int>(std::clamp<uint64_t>(by_memory, 1, concurrency));
  }
  uint64_t cores = std::max(2u, std::thread::hardware_concurrency());
  return static_cast<int>(std::min(concurrency, cores));
}

int RunWalPush(CommandContext& context, const std::string& path) {
  const Settings& s = context.settings();
  const Folder& root = context.root();
  // Armed before any storage request: a dead storage must not stall PostgreSQL's archiver.
  WalPushDeadline deadline(s.wal_push_timeout,
                           fmt::format("wal-push of {} to {}", path, root.storage().Describe()));
  if (s.upload_wal_metadata != "NOMETADATA") {
    spdlog::warn("WALG_UPLOAD_WAL_METADATA={} is not supported yet; no WAL metadata is uploaded",
                 s.upload_wal_metadata);
  }
  WalPushOptions options{.fs = LocalFs::Default()};
  options.file.pipeline = context.pipeline();
  options.file.pipeline.compression_options.lz4_block_size = kStageBufferSize;
  options.file.pipeline.stage_buffer_size = kStageBufferSize;
  options.file.segment_size = s.wal_segment_size;
  options.file.prevent_overwrite = s.prevent_wal_overwrite;
  options.parallel_uploads = ParallelUploads(s);
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
  auto path = std::make_shared<std::string>();
  cmd->add_option("wal_filepath", *path, "The WAL file to archive (%p)")->required();
  cmd->callback([&context, &action, path] {
    action = [&context, path] { return RunWalPush(context, *path); };
  });
}

}  // namespace walnut
