#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "pipeline/pipeline.h"
#include "storage/folder.h"

// `walnut check`, as pgBackRest's check: proves on the database host that the database archives
// its WAL into this storage with this tool.
namespace walnut::observe {

// One check's outcome: its name ("archive_mode", "wal archived", ...), whether it passed, and a
// one-line detail (for a failure: the setting or object, and what to do).
struct CheckResult {
  std::string name;
  bool ok = false;
  std::string detail;
};

struct ClusterCheckOptions {
  // How long to wait for the switched WAL segment to reach the storage (pgBackRest's
  // archive-timeout).
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  uint64_t segment_size = 16u << 20;
  CompressionMethod compression = CompressionMethod::kLz4;
  // Called once per check, as soon as it is decided.
  std::function<void(const CheckResult&)> report;
};

// Connects with the PG* settings and checks, in order: the connection; archive_mode on or
// always; archive_command calling wal-push of walnut or wal-g (or archive_library
// 'walnut_archive'); that the storage can be written, read back and deleted; that a switched WAL
// segment arrives in `root` within the timeout; that the archive's recorded system identifier
// (walnut_archive.json) is this cluster's; and that pg_stat_archiver shows no failure newer than
// its last success. Returns true when every check passed. Never throws for the database or the
// storage: each failure is a CheckResult.
bool CheckCluster(const Folder& root, const ClusterCheckOptions& options);

// Whether `command` (archive_command) runs wal-push of walnut or wal-g, called by any path.
bool CallsWalPush(std::string_view command);

}  // namespace walnut::observe
