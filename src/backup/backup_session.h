#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "postgres/archive_settings.h"
#include "postgres/lsn.h"
#include "postgres/wal_file_name.h"

namespace walnut {

namespace pg {
class PgConnection;
}

// What the server says when a base backup starts.
struct BackupStart {
  pg::Lsn lsn = 0;
  pg::WalSegment segment;  // names the backup (WAL-G's rule for primaries and standbys)
  int pg_version = 0;      // server_version_num
  std::optional<uint64_t> system_identifier;
  std::string data_directory;  // the server's data_directory setting
  bool data_checksums = false;
  bool in_recovery = false;
};

// What the server returns when the backup stops.
struct BackupStop {
  pg::Lsn lsn = 0;
  pg::WalSegment last_segment;  // the segment holding the last WAL the backup needs
  std::string backup_label;     // contents for backup_label
  std::string tablespace_map;   // contents for tablespace_map ("" without tablespaces)
};

// One non-exclusive base backup on the server (pg_backup_start/stop from PostgreSQL 15,
// pg_start_backup/pg_stop_backup before). The backup lives as long as the session's connection:
// PostgreSQL aborts a non-exclusive backup whose connection closes. An interface, so that
// backup-push can be tested without a server. Not thread-safe.
class BackupSession {
 public:
  virtual ~BackupSession() = default;
  // How the server archives its WAL (read before Start, so that a server that archives nothing
  // is refused before a checkpoint is spent on it).
  virtual pg::ArchiveSettings ReadArchiveSettings() = 0;
  // Starts the backup (an immediate checkpoint). `label` is the backup_label's LABEL.
  virtual BackupStart Start(const std::string& label) = 0;
  // Ends the backup. Does not wait for WAL archiving: backup-push checks the archive itself.
  virtual BackupStop Stop() = 0;
  // Ends a started backup after a failure; never throws.
  virtual void Abort() noexcept = 0;
};

// The libpq implementation. `stop_timeout`: statement_timeout for the stop call
// (WALG_STOP_BACKUP_TIMEOUT); `segment_size` is the cluster's wal_segment_size.
class PgBackupSession : public BackupSession {
 public:
  PgBackupSession(std::optional<std::chrono::milliseconds> stop_timeout);
  ~PgBackupSession() override;

  pg::ArchiveSettings ReadArchiveSettings() override;
  BackupStart Start(const std::string& label) override;
  BackupStop Stop() override;
  void Abort() noexcept override;

  pg::PgConnection& connection() { return *conn_; }
  uint64_t wal_segment_size() const { return segment_size_; }

 private:
  std::unique_ptr<pg::PgConnection> conn_;
  std::optional<std::chrono::milliseconds> stop_timeout_;
  uint64_t segment_size_ = pg::kDefaultWalSegmentSize;
  bool started_ = false;
  bool in_recovery_ = false;
  pg::TimelineId timeline_ = 0;
};

}  // namespace walnut
