#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backup/backup_catalog.h"
#include "common/rfc3339.h"
#include "localfs/local_fs.h"
#include "pipeline/pipeline.h"
#include "storage/folder.h"

namespace walnut::drill {

// Where recovery stops: the end of the archive, a time or an LSN (recovery_target_time /
// recovery_target_lsn, as PostgreSQL reads them).
struct RecoveryTarget {
  enum class Kind { kEnd, kTime, kLsn };
  Kind kind = Kind::kEnd;
  std::string value;  // "" for kEnd
};
std::string_view TargetKindName(RecoveryTarget::Kind kind);  // "end", "time", "lsn"

struct DrillOptions {
  LocalFs& fs;
  // A backup name or LATEST; with pick_random, one of the listed backups at random instead.
  std::string backup_name = "LATEST";
  bool pick_random = false;
  // The scratch area: refused when it exists and is not empty; "" makes a fresh one under
  // $TMPDIR. Removed afterwards (even when it existed) unless `keep`.
  std::string dir{};
  bool keep = false;
  RecoveryTarget target{};
  std::string sql_file{};     // optional: run through psql, its output compared with expect_file
  std::string expect_file{};  // REQUIRES: set iff sql_file is
  std::string os_user = "postgres";  // used when running as root
  std::string db_user = "postgres";  // the role psql and pg_amcheck connect as
  std::chrono::seconds timeout{3600};
  // Where PostgreSQL's binaries live: <pg_root>/<major>/bin.
  std::string pg_root = "/usr/lib/postgresql";
  // This program (for restore_command) and the settings it is given there: JSON, written to a
  // 0600 file of the OS user in the scratch area, never logged.
  std::string walnut_binary{};
  std::string settings_json{};
  // The backup-fetch knobs (Settings).
  bool fsync = false;
  int download_concurrency = 10;
  int download_file_retries = 15;
  const std::atomic<bool>* stop = nullptr;  // SIGINT/SIGTERM
};

struct PhaseStats {
  double seconds = 0;
  uint64_t bytes = 0;
};

struct CheckResult {
  bool ok = false;
  std::string detail;
};

// What a drill found, whether it passed or not (the report's content).
struct DrillResult {
  Timestamp started_at{};
  Timestamp finished_at{};
  bool success = false;
  std::vector<std::string> errors;
  std::string backup_name;
  std::optional<double> backup_age_seconds;
  int pg_major = 0;
  RecoveryTarget target;
  std::optional<double> rto_seconds;  // start to a consistent, checked cluster
  std::optional<double> rpo_seconds;  // target time - the last replayed commit (time targets)
  std::string recovered_to;           // pg_last_xact_replay_timestamp(), "" when unknown
  uint64_t wal_files_fetched = 0;
  uint64_t restored_bytes = 0;
  // In the order they ran: fetch, recovery, checks, checksums.
  std::vector<std::pair<std::string, PhaseStats>> phases;
  std::vector<std::pair<std::string, CheckResult>> checks;
  std::string scratch_dir;  // "" once removed
};

// Restores a backup into a scratch area, recovers it with a private PostgreSQL (no TCP, its own
// socket directory, restore_command = this binary's wal-fetch) to `options.target`, checks it
// (pg_amcheck, a query per database, the optional SQL, pg_checksums) and removes everything
// (unless `keep`). Never throws for a failed drill: the failure is in the result's errors (one
// line each). PostgreSQL is stopped (immediate) on every failure, on `stop` and on the timeout.
DrillResult RunDrill(const BackupCatalog& catalog, const PipelineOptions& pipeline,
                     const DrillOptions& options);

}  // namespace walnut::drill
