#include "wal/wal_catalog.h"

#include <algorithm>
#include <array>

#include "pipeline/compress/compressor.h"

namespace walnut::wal {
namespace {

// Extensions WAL-G has written for WAL: the methods Walnut decodes plus gzip and lzo, which
// older WAL-G versions wrote (a segment stored as .gz is still archived, even if Walnut cannot
// read it).
bool IsCompressionExtension(std::string_view extension) {
  static constexpr std::array<std::string_view, 2> kLegacy = {"gz", "lzo"};
  if (extension.empty()) return false;
  if (CompressionMethodFromExtension(extension)) return true;
  return std::find(kLegacy.begin(), kLegacy.end(), extension) != kLegacy.end();
}

// The timeline named by a WAL file name of any kind, or nullopt when it names none.
std::optional<pg::TimelineId> TimelineOf(std::string_view wal_name, pg::WalFileKind kind,
                                         uint64_t segment_size) {
  switch (kind) {
    case pg::WalFileKind::kSegment:
    case pg::WalFileKind::kPartial:
    case pg::WalFileKind::kBackupHistory:
      if (auto segment = pg::ParseWalFileName(wal_name, segment_size)) return segment->timeline;
      return std::nullopt;
    case pg::WalFileKind::kTimelineHistory:
      return pg::ParseTimelineHistoryFileName(wal_name);
    case pg::WalFileKind::kOther:
      break;
  }
  return std::nullopt;
}

const std::vector<pg::SegmentNo> kNoSegments;

}  // namespace

std::string_view StripCompressionExtension(std::string_view object_name) {
  size_t dot = object_name.rfind('.');
  if (dot == std::string_view::npos) return object_name;
  return IsCompressionExtension(object_name.substr(dot + 1)) ? object_name.substr(0, dot)
                                                             : object_name;
}

WalCatalog::WalCatalog(uint64_t segment_size) : segment_size_(segment_size) {}

WalCatalog WalCatalog::List(const Folder& wal_folder, uint64_t segment_size) {
  WalCatalog catalog(segment_size);
  wal_folder.List("", ListOptions{.recursive = false}, [&](const ObjectInfo& info) {
    if (!info.is_prefix) catalog.Add(info.key);
  });
  return catalog;
}

void WalCatalog::Add(std::string_view object_name) {
  std::string_view wal_name = StripCompressionExtension(object_name);
  pg::WalFileKind kind = pg::ClassifyWalFileName(wal_name);
  std::optional<pg::TimelineId> timeline = TimelineOf(wal_name, kind, segment_size_);
  if (!timeline) return;
  highest_timeline_ = std::max(highest_timeline_, *timeline);

  if (kind == pg::WalFileKind::kTimelineHistory) {
    history_objects_.try_emplace(*timeline, object_name);
    return;
  }
  if (kind != pg::WalFileKind::kSegment) return;
  pg::SegmentNo segno = pg::ParseWalFileName(wal_name, segment_size_)->segno;
  std::vector<pg::SegmentNo>& list = segments_[*timeline];
  if (list.empty() || list.back() < segno) {
    list.push_back(segno);
    return;
  }
  auto it = std::lower_bound(list.begin(), list.end(), segno);
  if (*it != segno) list.insert(it, segno);
}

bool WalCatalog::Contains(pg::WalSegment segment) const {
  const std::vector<pg::SegmentNo>& list = Segments(segment.timeline);
  return std::binary_search(list.begin(), list.end(), segment.segno);
}

const std::vector<pg::SegmentNo>& WalCatalog::Segments(pg::TimelineId timeline) const {
  auto it = segments_.find(timeline);
  return it == segments_.end() ? kNoSegments : it->second;
}

std::vector<pg::TimelineId> WalCatalog::Timelines() const {
  std::vector<pg::TimelineId> timelines;
  for (const auto& [timeline, list] : segments_) timelines.push_back(timeline);
  return timelines;
}

std::optional<std::string> WalCatalog::HistoryObject(pg::TimelineId timeline) const {
  auto it = history_objects_.find(timeline);
  if (it == history_objects_.end()) return std::nullopt;
  return it->second;
}

}  // namespace walnut::wal
