#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pipeline/pipeline.h"
#include "postgres/lsn.h"
#include "postgres/wal_file_name.h"
#include "storage/folder.h"
#include "wal/timeline_history.h"
#include "wal/wal_catalog.h"
#include "wal/wal_catalog_backup.h"

namespace walnut::wal {

// A run of consecutive segment numbers [first, last].
struct SegmentRange {
  pg::SegmentNo first = 0;
  pg::SegmentNo last = 0;
  uint64_t count() const { return last - first + 1; }
  friend bool operator==(const SegmentRange&, const SegmentRange&) = default;
};

// What wal-show reports for one timeline stored in wal_005/ (WAL-G's TimelineInfo).
struct TimelineInfo {
  pg::TimelineId id = 0;
  // From the timeline's history file (its last line: the timeline it branched from); 0 and 0/0
  // without one.
  pg::TimelineId parent_id = 0;
  pg::Lsn switch_point_lsn = 0;
  // The lowest and highest segment stored on the timeline, and how many are stored.
  pg::SegmentNo start_segno = 0;
  pg::SegmentNo end_segno = 0;
  uint64_t segments_count = 0;
  // The gaps between start and end.
  std::vector<SegmentRange> missing;
  // The backups that start and finish inside [start, end] on this timeline (pointers into the
  // caller's list), in the caller's order.
  std::vector<const WalBackupRef*> backups;

  uint64_t segment_range_size() const { return end_segno - start_segno + 1; }
  // WAL-G's status: "OK", or "LOST_SEGMENTS" when a segment between start and end is missing.
  const char* status() const { return missing.empty() ? "OK" : "LOST_SEGMENTS"; }
};

// The timelines' history files, by timeline (a timeline without one is absent).
using TimelineHistories = std::map<pg::TimelineId, std::vector<TimelineHistoryEntry>>;

// Reads the history file of every timeline that has segments in `catalog` (see
// ReadTimelineHistory).
TimelineHistories ReadTimelineHistories(const Folder& wal_folder, const WalCatalog& catalog,
                                        const PipelineOptions& pipeline);

// One TimelineInfo per timeline with segments, ascending by timeline. `backups` null: not looked
// up (--without-backups).
std::vector<TimelineInfo> ShowWal(const WalCatalog& catalog, const TimelineHistories& histories,
                                  const std::vector<WalBackupRef>* backups);

// wal-show's plain output: WAL-G's table (TLI, PARENT TLI, SWITCHPOINT LSN, START SEGMENT,
// END SEGMENT, SEGMENT RANGE, SEGMENTS COUNT, STATUS, and BACKUPS COUNT when `with_backups`).
std::string RenderWalShowTable(const std::vector<TimelineInfo>& timelines, bool with_backups,
                               uint64_t segment_size);

// wal-show --detailed-json: a compact JSON array, WAL-G's field names and order ("backups" left
// out when there are none), and a final newline.
std::string RenderWalShowJson(const std::vector<TimelineInfo>& timelines, uint64_t segment_size);

}  // namespace walnut::wal
