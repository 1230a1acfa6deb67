#include "wal/wal_verify.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "common/error.h"
#include "common/logging.h"

namespace walnut::wal {
namespace {

// The three passes of WAL-G's runWalIntegrityScan as a state machine over runs of segments,
// newest first.
class StatusClassifier {
 public:
  StatusClassifier(uint64_t delayed_window, uint64_t uploading_window)
      : phase_(delayed_window > 0 ? Phase::kDelayed : Phase::kUploading),
        budget_(delayed_window > 0 ? delayed_window : uploading_window),
        uploading_window_(uploading_window) {
    if (phase_ == Phase::kUploading && budget_ == 0) phase_ = Phase::kLost;
  }

  // Classifies the segments [first, last] of `timeline`, all stored (`found`) or all missing;
  // called newest run first. Appends rows newest first.
  void Add(pg::TimelineId timeline, pg::SegmentNo first, pg::SegmentNo last, bool found,
           std::vector<IntegrityRow>& out) {
    while (true) {
      uint64_t count = last - first + 1;
      if (phase_ == Phase::kLost) {
        Emit(timeline, first, last, found ? SegmentStatus::kFound : SegmentStatus::kMissingLost,
             out);
        return;
      }
      // The delayed pass ends at the first stored segment, which it takes.
      uint64_t take = found && phase_ == Phase::kDelayed ? 1 : std::min(count, budget_);
      SegmentStatus missing = phase_ == Phase::kDelayed ? SegmentStatus::kMissingDelayed
                                                        : SegmentStatus::kMissingUploading;
      Emit(timeline, last - take + 1, last, found ? SegmentStatus::kFound : missing, out);
      budget_ -= take;
      if (budget_ == 0 || (found && phase_ == Phase::kDelayed)) NextPhase();
      if (take == count) return;
      last -= take;
    }
  }

 private:
  enum class Phase { kDelayed, kUploading, kLost };

  void NextPhase() {
    if (phase_ == Phase::kDelayed && uploading_window_ > 0) {
      phase_ = Phase::kUploading;
      budget_ = uploading_window_;
    } else {
      phase_ = Phase::kLost;
    }
  }

  static void Emit(pg::TimelineId timeline, pg::SegmentNo first, pg::SegmentNo last,
                   SegmentStatus status, std::vector<IntegrityRow>& out) {
    out.push_back(IntegrityRow{timeline, SegmentRange{first, last}, status});
  }

  Phase phase_;
  uint64_t budget_;
  uint64_t uploading_window_;
};

// Splits [lo, hi] of `timeline` into runs of stored and missing segments, newest first.
void ScanInterval(const WalCatalog& catalog, pg::TimelineId timeline, pg::SegmentNo lo,
                  pg::SegmentNo hi, StatusClassifier& classifier, std::vector<IntegrityRow>& out) {
  const std::vector<pg::SegmentNo>& stored = catalog.Segments(timeline);
  pg::SegmentNo x = hi;
  while (true) {
    // The newest stored segment at or below x.
    auto it = std::upper_bound(stored.begin(), stored.end(), x);
    bool any = it != stored.begin() && *(it - 1) >= lo;
    if (any && *(it - 1) == x) {
      // A run of stored segments ending at x.
      auto run_end = it - 1;
      auto run = run_end;
      while (run != stored.begin() && *(run - 1) + 1 == *run && *(run - 1) >= lo) --run;
      classifier.Add(timeline, *run, x, true, out);
      if (*run == lo) return;
      x = *run - 1;
    } else {
      pg::SegmentNo first = any ? *(it - 1) + 1 : lo;
      classifier.Add(timeline, first, x, false, out);
      if (first == lo) return;
      x = first - 1;
    }
  }
}

}  // namespace

const char* SegmentStatusName(SegmentStatus status) {
  switch (status) {
    case SegmentStatus::kFound:
      return "FOUND";
    case SegmentStatus::kMissingDelayed:
      return "MISSING_DELAYED";
    case SegmentStatus::kMissingUploading:
      return "MISSING_UPLOADING";
    case SegmentStatus::kMissingLost:
      return "MISSING_LOST";
  }
  return "";
}

const char* CheckStatusName(CheckStatus status) {
  switch (status) {
    case CheckStatus::kOk:
      return "OK";
    case CheckStatus::kWarning:
      return "WARNING";
    case CheckStatus::kFailure:
      return "FAILURE";
  }
  return "";
}

IntegrityResult CheckIntegrity(const WalCatalog& catalog,
                               const std::vector<TimelineHistoryEntry>& history,
                               const IntegrityScan& scan) {
  // Segment of a switchpoint -> the timeline the segments before it belong to. A later line wins
  // when two switches share a segment, as in WAL-G's map.
  std::map<pg::SegmentNo, pg::TimelineId> switches;
  for (const TimelineHistoryEntry& entry : history) {
    switches[pg::LsnToSegment(entry.switch_lsn, catalog.segment_size())] = entry.parent;
  }

  std::vector<IntegrityRow> pieces;  // newest first
  StatusClassifier classifier(scan.delayed_window, scan.uploading_window);
  pg::SegmentNo position = scan.current.segno;
  pg::TimelineId timeline = scan.current.timeline;
  while (position > scan.stop) {
    // Moving below a switchpoint's segment enters the parent timeline.
    if (auto it = switches.find(position); it != switches.end()) timeline = it->second;
    pg::SegmentNo hi = position - 1;
    pg::SegmentNo lo = scan.stop;
    auto below = switches.lower_bound(position);  // first switch >= position
    if (below != switches.begin() && std::prev(below)->first > lo) lo = std::prev(below)->first;
    ScanInterval(catalog, timeline, lo, hi, classifier, pieces);
    position = lo;
  }

  IntegrityResult result;
  for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) {
    if (!result.rows.empty() && result.rows.back().timeline == it->timeline &&
        result.rows.back().status == it->status &&
        result.rows.back().segments.last + 1 == it->segments.first) {
      result.rows.back().segments.last = it->segments.last;
    } else {
      result.rows.push_back(*it);
    }
    if (it->status == SegmentStatus::kMissingLost) {
      result.status = CheckStatus::kFailure;
    } else if (it->status != SegmentStatus::kFound && result.status == CheckStatus::kOk) {
      result.status = CheckStatus::kWarning;
    }
  }
  return result;
}

StopSegment FindStopSegment(const std::vector<WalBackupRef>& backups,
                            pg::TimelineId current_timeline,
                            const std::vector<TimelineHistoryEntry>& history,
                            const std::optional<std::string>& backup_name, uint64_t segment_size) {
  if (backup_name) {
    for (const WalBackupRef& backup : backups) {
      if (backup.name == *backup_name) return StopSegment{backup.start_segno, backup.name};
    }
    throw Error(ErrorCode::kNotFound,
                fmt::format("backup '{}' not found in basebackups_005/", *backup_name));
  }

  // Where each timeline of the path begins and ends, from the current timeline's history.
  std::map<pg::TimelineId, pg::SegmentNo> timeline_start;
  std::map<pg::TimelineId, pg::SegmentNo> timeline_end;
  for (size_t i = 0; i < history.size(); ++i) {
    pg::SegmentNo switch_segno = pg::LsnToSegment(history[i].switch_lsn, segment_size);
    timeline_end[history[i].parent] = switch_segno;
    pg::TimelineId next = i + 1 < history.size() ? history[i + 1].parent : current_timeline;
    timeline_start[next] = switch_segno;
  }
  auto on_path = [&](const WalBackupRef& backup) {
    if (history.empty()) return true;
    auto start = timeline_start.find(backup.timeline);
    if (start != timeline_start.end() && backup.start_segno < start->second) {
      spdlog::warn("{}: backup starts before its timeline {} does; not used by wal-verify",
                   backup.name, backup.timeline);
      return false;
    }
    if (backup.timeline == current_timeline) return true;
    auto end = timeline_end.find(backup.timeline);
    if (end == timeline_end.end()) {
      spdlog::warn(
          "{}: timeline {} is neither current nor in the current timeline's history; "
          "not used by wal-verify",
          backup.name, backup.timeline);
      return false;
    }
    if (backup.start_segno >= end->second) {
      spdlog::warn("{}: backup starts after timeline {} ended; not used by wal-verify", backup.name,
                   backup.timeline);
      return false;
    }
    return true;
  };

  const WalBackupRef* earliest = nullptr;
  const WalBackupRef* earliest_permanent = nullptr;
  for (const WalBackupRef& backup : backups) {
    if (!on_path(backup)) continue;
    const WalBackupRef*& best = backup.permanent ? earliest_permanent : earliest;
    if (best == nullptr || backup.start_segno < best->start_segno) best = &backup;
  }
  if (earliest == nullptr) earliest = earliest_permanent;
  if (earliest == nullptr) {
    spdlog::warn("no backup found to start from: checking WAL from segment 1");
    return StopSegment{};
  }
  spdlog::info("Detected earliest available backup: {}", earliest->name);
  return StopSegment{earliest->start_segno, earliest->name};
}

TimelineResult CheckTimeline(const WalCatalog& catalog, pg::TimelineId current_timeline) {
  TimelineResult result;
  result.current = current_timeline;
  result.highest = catalog.HighestTimeline();
  if (result.highest > 0) {
    result.status = result.highest == current_timeline ? CheckStatus::kOk : CheckStatus::kFailure;
  }
  return result;
}

}  // namespace walnut::wal
