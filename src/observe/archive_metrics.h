#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "metrics/exposition.h"
#include "postgres/lsn.h"
#include "storage/folder.h"

// What `walnut metrics` reports: the backups and WAL of one storage, the last stored drill and
// verify reports, and the database's archiver when it answers (metrics/families.h has the families).
namespace walnut::observe {

// pg_stat_archiver and the write position of a database that answered.
struct ArchiverStatus {
  uint64_t archived_count = 0;
  uint64_t failed_count = 0;
  std::optional<double> last_archived_time;  // Unix seconds; nullopt when never
  std::optional<double> last_failed_time;
  std::optional<std::string> last_failed_wal;
  std::optional<pg::Lsn> current_lsn;  // nullopt on a standby
};

// Connects with the PG* settings (libpq's environment) and `connect_timeout` seconds, and reads
// pg_stat_archiver. nullopt when the database cannot be reached or refuses the query: metrics
// never fail because the database is down. `why` (if given) gets the reason.
std::optional<ArchiverStatus> ProbeArchiver(int connect_timeout, std::string* why = nullptr);

struct ArchiveMetricsOptions {
  uint64_t segment_size = 16u << 20;
  // The `storage` label: the storage's URL without credentials.
  std::string storage_label;
  // The database's archiver, or nullopt when it did not answer; not called when null (no
  // database metrics at all).
  std::function<std::optional<ArchiverStatus>()> archiver;
};

// Lists `root` once (recursively) and reads the newest and oldest backups' sentinels and the
// stored reports (walnut_reports/drill.json, verify.json). Never throws for the storage or the
// database: a storage that cannot be listed gives walnut_up 0, an unreadable report a line in
// `warnings` and no samples of its own.
metrics::Exposition CollectArchiveMetrics(const Folder& root, const ArchiveMetricsOptions& options,
                                          std::vector<std::string>& warnings);

// The stored report keys, beside basebackups_005/ and wal_005/.
inline constexpr const char* kDrillReportKey = "walnut_reports/drill.json";
inline constexpr const char* kVerifyReportKey = "walnut_reports/verify.json";

}  // namespace walnut::observe
