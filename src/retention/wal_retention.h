#pragma once

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "postgres/wal_file_name.h"

namespace walnut::retention {

// WAL that a kept backup needs: segments first..last on the timelines min..max (inclusive).
struct WalRange {
  pg::TimelineId min_timeline = 0;
  pg::TimelineId max_timeline = std::numeric_limits<pg::TimelineId>::max();
  pg::SegmentNo first = 0;
  pg::SegmentNo last = std::numeric_limits<pg::SegmentNo>::max();

  bool Contains(pg::WalSegment segment) const {
    return segment.timeline >= min_timeline && segment.timeline <= max_timeline &&
           segment.segno >= first && segment.segno <= last;
  }
};

// Which objects of wal_005/ a delete removes. Candidates are the WAL before the oldest kept
// backup (`cutoff`), as WAL-G: a lower timeline, or an earlier segment (on any timeline: after a
// timeline reset, e.g. pg_upgrade, the old cluster's higher timelines hold older WAL). What a kept
// backup needs is then taken out again (`keep`), which is what makes the rule safe whatever the
// order of timelines: WAL-G's plain name comparison deletes a newer cluster's WAL after a reset.
class WalRetention {
 public:
  // Deletes nothing.
  WalRetention() = default;
  static WalRetention Before(pg::WalSegment cutoff, std::vector<WalRange> keep);
  // Every WAL file except `keep`; .history files too when `history` is true (delete everything).
  static WalRetention All(std::vector<WalRange> keep, bool history);

  // Keeps `range` as well (a backup the delete found it must keep after all).
  void Keep(WalRange range) { keep_.push_back(range); }

  // Whether the object `object_name` (relative to wal_005/, compression extension included) goes.
  bool MayDelete(std::string_view object_name, uint64_t segment_size) const;
  bool DeletesAnything() const { return all_ || cutoff_.has_value(); }
  const std::vector<WalRange>& keep() const { return keep_; }
  const std::optional<pg::WalSegment>& cutoff() const { return cutoff_; }

 private:
  bool Protected(pg::WalSegment segment) const;

  bool all_ = false;
  bool history_ = false;
  std::optional<pg::WalSegment> cutoff_;
  std::vector<WalRange> keep_;
};

}  // namespace walnut::retention
