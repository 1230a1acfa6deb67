#include "postgres/wal_file_name.h"

#include <charconv>

#include <fmt/format.h>

namespace walnut::pg {
namespace {

bool IsUpperHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

uint32_t Hex32(std::string_view text) {
  uint32_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value, 16);
  return value;
}

uint64_t SegmentsPerXLogId(uint64_t segment_size) { return (uint64_t{1} << 32) / segment_size; }

}  // namespace

WalFileKind ClassifyWalFileName(std::string_view name) {
  if (name.size() == 24 && IsUpperHex(name)) return WalFileKind::kSegment;
  if (name.size() == 24 + 8 && name.substr(24) == ".partial" && IsUpperHex(name.substr(0, 24))) {
    return WalFileKind::kPartial;
  }
  if (name.size() == 24 + 1 + 8 + 7 && name[24] == '.' && name.substr(33) == ".backup" &&
      IsUpperHex(name.substr(0, 24)) && IsUpperHex(name.substr(25, 8))) {
    return WalFileKind::kBackupHistory;
  }
  if (ParseTimelineHistoryFileName(name)) return WalFileKind::kTimelineHistory;
  return WalFileKind::kOther;
}

std::string WalFileName(WalSegment segment, uint64_t segment_size) {
  uint64_t per_id = SegmentsPerXLogId(segment_size);
  return fmt::format("{:08X}{:08X}{:08X}", segment.timeline,
                     static_cast<uint32_t>(segment.segno / per_id),
                     static_cast<uint32_t>(segment.segno % per_id));
}

std::optional<WalSegment> ParseWalFileName(std::string_view name, uint64_t segment_size) {
  if (name.size() < 24 || !IsUpperHex(name.substr(0, 24))) return std::nullopt;
  uint64_t per_id = SegmentsPerXLogId(segment_size);
  uint32_t low = Hex32(name.substr(16, 8));
  if (low >= per_id) return std::nullopt;
  WalSegment segment;
  segment.timeline = Hex32(name.substr(0, 8));
  segment.segno = uint64_t{Hex32(name.substr(8, 8))} * per_id + low;
  return segment;
}

std::optional<TimelineId> ParseTimelineHistoryFileName(std::string_view name) {
  if (name.size() != 16 || name.substr(8) != ".history" || !IsUpperHex(name.substr(0, 8))) {
    return std::nullopt;
  }
  return Hex32(name.substr(0, 8));
}

}  // namespace walnut::pg
