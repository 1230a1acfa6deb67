#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "postgres/lsn.h"

namespace walnut::pg {

using TimelineId = uint32_t;
using SegmentNo = uint64_t;

constexpr uint64_t kDefaultWalSegmentSize = 16u << 20;

// One WAL segment: its timeline and its number (XLogSegNo, counted from LSN 0).
struct WalSegment {
  TimelineId timeline = 0;
  SegmentNo segno = 0;
  friend bool operator==(const WalSegment&, const WalSegment&) = default;
};

// What a file in pg_wal (and so an object in wal_005/) is, by its name.
enum class WalFileKind {
  kSegment,          // 000000010000000000000003
  kPartial,          // 000000010000000000000003.partial (end of a timeline, from a promotion)
  kBackupHistory,    // 000000010000000000000003.00000028.backup
  kTimelineHistory,  // 00000002.history
  kOther,
};

// The kind of `name`, which must be a bare file name (no directory, no compression extension).
WalFileKind ClassifyWalFileName(std::string_view name);

// PostgreSQL's XLogFileName: "TTTTTTTTXXXXXXXXYYYYYYYY" in upper-case hex, where X and Y split the
// segment number by the number of segments in 4 GiB. `segment_size` must be a power of two
// between 1 MiB and 1 GiB.
std::string WalFileName(WalSegment segment, uint64_t segment_size = kDefaultWalSegmentSize);

// The segment named by the first 24 characters of `name` (24 upper-case hex digits, a valid
// segment number for `segment_size`); nullopt for anything else.
std::optional<WalSegment> ParseWalFileName(std::string_view name,
                                           uint64_t segment_size = kDefaultWalSegmentSize);

// The timeline of "00000002.history"; nullopt for anything else.
std::optional<TimelineId> ParseTimelineHistoryFileName(std::string_view name);

// The segment holding `lsn`.
inline SegmentNo LsnToSegment(Lsn lsn, uint64_t segment_size = kDefaultWalSegmentSize) {
  return lsn / segment_size;
}
// The first LSN of segment `segno`.
inline Lsn SegmentStartLsn(SegmentNo segno, uint64_t segment_size = kDefaultWalSegmentSize) {
  return segno * segment_size;
}

}  // namespace walnut::pg
