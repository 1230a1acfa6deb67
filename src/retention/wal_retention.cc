#include "retention/wal_retention.h"

#include <algorithm>

#include "wal/wal_catalog.h"

namespace walnut::retention {

WalRetention WalRetention::Before(pg::WalSegment cutoff, std::vector<WalRange> keep) {
  WalRetention rule;
  rule.cutoff_ = cutoff;
  rule.keep_ = std::move(keep);
  return rule;
}

WalRetention WalRetention::All(std::vector<WalRange> keep, bool history) {
  WalRetention rule;
  rule.all_ = true;
  rule.history_ = history;
  rule.keep_ = std::move(keep);
  return rule;
}

bool WalRetention::Protected(pg::WalSegment segment) const {
  return std::any_of(keep_.begin(), keep_.end(),
                     [&](const WalRange& range) { return range.Contains(segment); });
}

bool WalRetention::MayDelete(std::string_view object_name, uint64_t segment_size) const {
  if (!DeletesAnything()) return false;
  // Objects in sub-folders (none are written today) are judged by their own name.
  const size_t slash = object_name.rfind('/');
  if (slash != std::string_view::npos) object_name.remove_prefix(slash + 1);
  const std::string_view name = wal::StripCompressionExtension(object_name);
  if (pg::ParseTimelineHistoryFileName(name)) return all_ && history_;
  // Segments, .partial, .backup and WAL metadata all start with the segment's name. Anything
  // else has no place in the order: WAL-G never deletes it either (but for everything).
  std::optional<pg::WalSegment> segment = pg::ParseWalFileName(name, segment_size);
  if (!segment) return all_ && history_;
  if (Protected(*segment)) return false;
  if (all_) return true;
  return segment->timeline < cutoff_->timeline || segment->segno < cutoff_->segno;
}

}  // namespace walnut::retention
