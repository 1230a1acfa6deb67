#include "wal/wal_show.h"

#include <nlohmann/json.hpp>

#include "wal/wal_show_table.h"

namespace walnut::wal {
namespace {

// The gaps of a sorted list of segment numbers.
std::vector<SegmentRange> FindGaps(const std::vector<pg::SegmentNo>& segments) {
  std::vector<SegmentRange> gaps;
  for (size_t i = 1; i < segments.size(); ++i) {
    if (segments[i] > segments[i - 1] + 1) {
      gaps.push_back(SegmentRange{segments[i - 1] + 1, segments[i] - 1});
    }
  }
  return gaps;
}

nlohmann::ordered_json BackupJson(const WalBackupRef& backup) {
  if (!backup.detail.is_null()) return backup.detail;
  return nlohmann::ordered_json{{"backup_name", backup.name}};
}

}  // namespace

TimelineHistories ReadTimelineHistories(const Folder& wal_folder, const WalCatalog& catalog,
                                        const PipelineOptions& pipeline) {
  TimelineHistories histories;
  for (pg::TimelineId timeline : catalog.Timelines()) {
    if (auto entries = ReadTimelineHistory(wal_folder, catalog, timeline, pipeline)) {
      histories.emplace(timeline, std::move(*entries));
    }
  }
  return histories;
}

std::vector<TimelineInfo> ShowWal(const WalCatalog& catalog, const TimelineHistories& histories,
                                  const std::vector<WalBackupRef>* backups) {
  std::vector<TimelineInfo> timelines;
  for (pg::TimelineId id : catalog.Timelines()) {
    const std::vector<pg::SegmentNo>& segments = catalog.Segments(id);
    TimelineInfo info;
    info.id = id;
    info.start_segno = segments.front();
    info.end_segno = segments.back();
    info.segments_count = segments.size();
    info.missing = FindGaps(segments);
    auto history = histories.find(id);
    if (history != histories.end() && !history->second.empty()) {
      info.parent_id = history->second.back().parent;
      info.switch_point_lsn = history->second.back().switch_lsn;
    }
    if (backups != nullptr) {
      for (const WalBackupRef& backup : *backups) {
        if (backup.timeline == id && backup.start_segno >= info.start_segno &&
            backup.finish_segno <= info.end_segno) {
          info.backups.push_back(&backup);
        }
      }
    }
    timelines.push_back(std::move(info));
  }
  return timelines;
}

std::string RenderWalShowTable(const std::vector<TimelineInfo>& timelines, bool with_backups,
                               uint64_t segment_size) {
  std::vector<TableColumn> columns = {{"TLI", true},
                                      {"PARENT TLI", true},
                                      {"SWITCHPOINT LSN", true},
                                      {"START SEGMENT", false},
                                      {"END SEGMENT", false},
                                      {"SEGMENT RANGE", true},
                                      {"SEGMENTS COUNT", true},
                                      {"STATUS", false}};
  if (with_backups) columns.push_back({"BACKUPS COUNT", true});
  std::vector<std::vector<std::string>> rows;
  for (const TimelineInfo& info : timelines) {
    std::vector<std::string> row = {std::to_string(info.id),
                                    std::to_string(info.parent_id),
                                    pg::FormatLsn(info.switch_point_lsn),
                                    pg::WalFileName({info.id, info.start_segno}, segment_size),
                                    pg::WalFileName({info.id, info.end_segno}, segment_size),
                                    std::to_string(info.segment_range_size()),
                                    std::to_string(info.segments_count),
                                    info.status()};
    if (with_backups) row.push_back(std::to_string(info.backups.size()));
    rows.push_back(std::move(row));
  }
  return RenderTable(columns, rows);
}

std::string RenderWalShowJson(const std::vector<TimelineInfo>& timelines, uint64_t segment_size) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const TimelineInfo& info : timelines) {
    nlohmann::ordered_json missing = nlohmann::ordered_json::array();
    for (const SegmentRange& gap : info.missing) {
      for (pg::SegmentNo segno = gap.first; segno <= gap.last; ++segno) {
        missing.push_back(pg::WalFileName({info.id, segno}, segment_size));
      }
    }
    nlohmann::ordered_json timeline = {
        {"id", info.id},
        {"parent_id", info.parent_id},
        {"switch_point_lsn", info.switch_point_lsn},
        {"start_segment", pg::WalFileName({info.id, info.start_segno}, segment_size)},
        {"end_segment", pg::WalFileName({info.id, info.end_segno}, segment_size)},
        {"segments_count", info.segments_count},
        {"missing_segments", std::move(missing)},
    };
    if (!info.backups.empty()) {
      nlohmann::ordered_json backups = nlohmann::ordered_json::array();
      for (const WalBackupRef* backup : info.backups) backups.push_back(BackupJson(*backup));
      timeline["backups"] = std::move(backups);
    }
    timeline["segment_range_size"] = info.segment_range_size();
    timeline["status"] = info.status();
    out.push_back(std::move(timeline));
  }
  // Backups' details carry strings read from storage (hostname, data_dir): invalid UTF-8 is
  // replaced, as Go's encoder does, rather than failing the listing.
  return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace walnut::wal
