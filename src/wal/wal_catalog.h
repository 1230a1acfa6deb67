#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "postgres/wal_file_name.h"
#include "storage/folder.h"

namespace walnut::wal {

// The WAL folder under the storage root, as WAL-G names it (utility/utility.go: WalPath).
inline constexpr std::string_view kWalFolder = "wal_005/";

// What is archived in wal_005/, by object name: the segments of each timeline, the timeline
// history files, and the highest timeline any WAL file names. Built from one listing, so every
// question is answered from memory (8 bytes per segment). Not thread-safe while being built;
// const methods may be called from several threads.
class WalCatalog {
 public:
  explicit WalCatalog(uint64_t segment_size = pg::kDefaultWalSegmentSize);

  // Lists the top level of `wal_folder` once (the folder itself, not the storage root).
  static WalCatalog List(const Folder& wal_folder, uint64_t segment_size);

  // Takes one object name of wal_005/ into account. A name is the WAL file name plus an optional
  // compression extension (lz4, lzma, zst, br, and gz / lzo that older WAL-G wrote); anything else
  // (".partial", ".backup", "_delta", WAL metadata ".json", junk) is not a segment. Names may come
  // in any order and more than once (one segment stored under two compressions).
  void Add(std::string_view object_name);

  bool Contains(pg::WalSegment segment) const;
  // The segment numbers stored on `timeline`, ascending, without duplicates.
  const std::vector<pg::SegmentNo>& Segments(pg::TimelineId timeline) const;
  // The timelines with at least one segment, ascending.
  std::vector<pg::TimelineId> Timelines() const;
  // The object name of the timeline's history file ("00000002.history.lz4"), if stored.
  std::optional<std::string> HistoryObject(pg::TimelineId timeline) const;
  // The highest timeline named by any WAL file (segment, .partial, .backup, .history); 0 if none.
  pg::TimelineId HighestTimeline() const { return highest_timeline_; }
  uint64_t segment_size() const { return segment_size_; }

 private:
  uint64_t segment_size_;
  // Sorted, without duplicates. Listings come in key order, so Add() nearly always appends.
  std::map<pg::TimelineId, std::vector<pg::SegmentNo>> segments_;
  std::map<pg::TimelineId, std::string> history_objects_;
  pg::TimelineId highest_timeline_ = 0;
};

// The WAL file name inside an object name: `object_name` without a compression extension WAL-G
// may have added ("000000010000000000000003.lz4" -> "000000010000000000000003"), unchanged when it
// has none.
std::string_view StripCompressionExtension(std::string_view object_name);

}  // namespace walnut::wal
