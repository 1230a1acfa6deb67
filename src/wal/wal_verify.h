#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "postgres/wal_file_name.h"
#include "wal/timeline_history.h"
#include "wal/wal_catalog.h"
#include "wal/wal_catalog_backup.h"
#include "wal/wal_show.h"

namespace walnut::wal {

// How a segment of the checked range stands (WAL-G's ScannedSegmentStatus).
enum class SegmentStatus { kFound, kMissingDelayed, kMissingUploading, kMissingLost };
// "FOUND", "MISSING_DELAYED", "MISSING_UPLOADING", "MISSING_LOST".
const char* SegmentStatusName(SegmentStatus status);

// A check's verdict (WAL-G's WalVerifyCheckStatus).
enum class CheckStatus { kOk, kWarning, kFailure };
// "OK", "WARNING", "FAILURE".
const char* CheckStatusName(CheckStatus status);

// Consecutive segments of one timeline with the same status.
struct IntegrityRow {
  pg::TimelineId timeline = 0;
  SegmentRange segments;
  SegmentStatus status = SegmentStatus::kFound;
  friend bool operator==(const IntegrityRow&, const IntegrityRow&) = default;
};

struct IntegrityResult {
  // kFailure if a segment is MISSING_LOST, else kWarning if one is missing at all, else kOk.
  CheckStatus status = CheckStatus::kOk;
  std::vector<IntegrityRow> rows;  // ascending by segment number
};

// What `wal-verify integrity` checks: the segments [stop, current) on the cluster's timeline
// path, going back from `current` and switching to the parent timeline at each switchpoint of
// the current timeline's history.
struct IntegrityScan {
  // The segment the server is writing (WAL-G: the segment of current LSN - 1); not checked.
  pg::WalSegment current;
  // The first segment checked: the start of the earliest backup (see FindStopSegment).
  pg::SegmentNo stop = 1;
  // WALG_INTEGRITY_MAX_DELAYED_WALS: how many of the newest segments may still be missing because
  // PostgreSQL has not handed them to archive_command yet.
  uint64_t delayed_window = 0;
  // WALG_UPLOAD_CONCURRENCY: after those, how many may be missing because their upload is under
  // way (wal-push uploads that many at once).
  uint64_t uploading_window = 16;
};

// Runs the integrity check, classifying missing segments as WAL-G does. Going back from the
// newest segment: missing segments up to the newest stored one are MISSING_DELAYED, at most
// `delayed_window` segments (counting that stored one); the next `uploading_window` segments are
// MISSING_UPLOADING when missing; every older missing segment is MISSING_LOST. The position in
// the range decides, not the state of pg_wal/archive_status: wal-verify may run far from the
// server (WAL-G's rule, internal/databases/postgres/integrity_check_runner.go). Works on runs of
// segments, so a huge range costs no more than its gaps.
// `history` is the current timeline's history (empty for none).
IntegrityResult CheckIntegrity(const WalCatalog& catalog,
                               const std::vector<TimelineHistoryEntry>& history,
                               const IntegrityScan& scan);

// Where the integrity check starts, and the backup that decided it ("" for none).
struct StopSegment {
  pg::SegmentNo segno = 1;
  std::string backup_name;
};

// The start segment of the backup named `backup_name` (throws kNotFound when no backup has that
// name), or else of the earliest backup whose WAL lies on the current timeline's path: on the
// current timeline, or on an ancestor before the point where the path left it (checked only when
// `history` is not empty, as WAL-G). Permanent backups are passed over while a non-permanent one
// qualifies: retention deletes the WAL after a permanent backup up to the next one. With no
// qualifying backup, segment 1 (WAL-G's rule), with a warning logged.
StopSegment FindStopSegment(const std::vector<WalBackupRef>& backups,
                            pg::TimelineId current_timeline,
                            const std::vector<TimelineHistoryEntry>& history,
                            const std::optional<std::string>& backup_name, uint64_t segment_size);

struct TimelineResult {
  // kOk when the current timeline is the highest in storage, kFailure when not, kWarning when
  // storage names no timeline at all.
  CheckStatus status = CheckStatus::kWarning;
  pg::TimelineId current = 0;
  pg::TimelineId highest = 0;
};

// `wal-verify timeline`: split-brain detection (a newer timeline in storage than the server's).
TimelineResult CheckTimeline(const WalCatalog& catalog, pg::TimelineId current_timeline);

// The checks that ran.
struct WalVerifyReport {
  std::optional<IntegrityResult> integrity;
  std::optional<TimelineResult> timeline;
};

// wal-verify's plain output, integrity first: "[wal-verify] integrity check status: OK", the
// details line and table; then the timeline lines.
std::string RenderWalVerifyPlain(const WalVerifyReport& report, uint64_t segment_size);

// wal-verify --json: one compact JSON object keyed by check name, and a final newline.
std::string RenderWalVerifyJson(const WalVerifyReport& report, uint64_t segment_size);

}  // namespace walnut::wal
