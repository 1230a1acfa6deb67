#include "backup/backup_session.h"

#include <fmt/format.h>

#include "common/error.h"
#include "common/logging.h"
#include "postgres/pg_connection.h"

namespace walnut {
namespace {

constexpr int kPg15 = 150000;
constexpr int kPg96 = 90600;

pg::WalSegment ParseServerWalName(const std::string& name, uint64_t segment_size) {
  auto segment = pg::ParseWalFileName(name, segment_size);
  if (!segment) {
    throw Error(ErrorCode::kProtocol,
                fmt::format("the server returned an unexpected WAL file name '{}'", name));
  }
  return *segment;
}

}  // namespace

PgBackupSession::PgBackupSession(std::optional<std::chrono::milliseconds> stop_timeout)
    : conn_(std::make_unique<pg::PgConnection>()), stop_timeout_(stop_timeout) {}

PgBackupSession::~PgBackupSession() { Abort(); }

pg::ArchiveSettings PgBackupSession::ReadArchiveSettings() {
  return pg::ReadArchiveSettings(*conn_);
}

BackupStart PgBackupSession::Start(const std::string& label) {
  BackupStart start;
  start.pg_version = conn_->server_version();
  if (start.pg_version < kPg96) {
    throw Error(
        ErrorCode::kUnsupported,
        fmt::format(
            "PostgreSQL {} is too old: backup-push needs 9.6 or later (non-exclusive backups)",
            start.pg_version));
  }
  start.data_directory = conn_->QueryValue("SELECT current_setting('data_directory')");
  start.data_checksums = conn_->QueryValue("SELECT current_setting('data_checksums')") == "on";
  segment_size_ =
      std::stoull(conn_->QueryValue("SELECT pg_size_bytes(current_setting('wal_segment_size'))"));
  in_recovery_ = conn_->QueryValue("SELECT pg_is_in_recovery()") == "t";
  start.in_recovery = in_recovery_;
  start.system_identifier =
      std::stoull(conn_->QueryValue("SELECT system_identifier FROM pg_control_system()"));

  std::string lsn = start.pg_version >= kPg15
                        ? conn_->QueryValue("SELECT pg_backup_start($1, true)", {label})
                        : conn_->QueryValue("SELECT pg_start_backup($1, true, false)", {label});
  started_ = true;
  start.lsn = pg::ParseLsn(lsn);
  if (in_recovery_) {
    // pg_walfile_name() is not available during recovery; WAL-G names a standby's backup after
    // the segment of (start - 1) on the checkpoint's timeline.
    timeline_ = static_cast<pg::TimelineId>(
        std::stoul(conn_->QueryValue("SELECT timeline_id FROM pg_control_checkpoint()")));
    start.segment = pg::WalSegment{timeline_, pg::LsnToSegment(start.lsn - 1, segment_size_)};
  } else {
    start.segment = ParseServerWalName(
        conn_->QueryValue("SELECT file_name FROM pg_walfile_name_offset($1::pg_lsn)", {lsn}),
        segment_size_);
    timeline_ = start.segment.timeline;
  }
  return start;
}

BackupStop PgBackupSession::Stop() {
  if (stop_timeout_) {
    conn_->Query(fmt::format("SET statement_timeout = {}", stop_timeout_->count()));
  }
  int version = conn_->server_version();
  // wait_for_archive = false: PostgreSQL's own wait has no time limit and blocks forever when
  // archiving is broken; backup-push instead checks that the WAL reached *its* storage, with a
  // timeout and a message that says what to look at.
  pg::QueryResult result =
      version >= kPg15
          ? conn_->Query("SELECT lsn, labelfile, spcmapfile FROM pg_backup_stop(false)")
          : conn_->Query("SELECT lsn, labelfile, spcmapfile FROM pg_stop_backup(false, false)");
  started_ = false;
  if (result.rows.size() != 1) throw Error(ErrorCode::kProtocol, "pg_backup_stop returned no row");
  BackupStop stop;
  stop.lsn = pg::ParseLsn(result.Get(0, "lsn"));
  stop.backup_label = result.Get(0, "labelfile");
  stop.tablespace_map = result.rows[0][2].value_or("");
  if (in_recovery_) {
    auto timeline = static_cast<pg::TimelineId>(
        std::stoul(conn_->QueryValue("SELECT timeline_id FROM pg_control_checkpoint()")));
    if (timeline != timeline_) {
      throw Error(ErrorCode::kProtocol,
                  fmt::format("the standby's timeline changed from {} to {} during the backup (a "
                              "promotion?); the backup is not usable, take a new one",
                              timeline_, timeline));
    }
    stop.last_segment = pg::WalSegment{timeline_, pg::LsnToSegment(stop.lsn - 1, segment_size_)};
  } else {
    // pg_walfile_name() gives the segment holding the byte before the LSN: the last one needed.
    stop.last_segment = ParseServerWalName(
        conn_->QueryValue("SELECT pg_walfile_name($1::pg_lsn)", {pg::FormatLsn(stop.lsn)}),
        segment_size_);
  }
  return stop;
}

void PgBackupSession::Abort() noexcept {
  if (!started_) return;
  started_ = false;
  try {
    if (conn_->server_version() >= kPg15) {
      conn_->Query("SELECT pg_backup_stop(false)");
    } else {
      conn_->Query("SELECT pg_stop_backup(false, false)");
    }
    spdlog::warn("the base backup was stopped on the server after a failure");
  } catch (const std::exception& e) {
    // Closing the connection ends a non-exclusive backup anyway.
    spdlog::warn(
        "could not stop the base backup on the server ({}); closing the connection ends it",
        e.what());
  }
}

}  // namespace walnut
