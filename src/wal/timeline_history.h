#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/pipeline.h"
#include "postgres/lsn.h"
#include "postgres/wal_file_name.h"
#include "storage/folder.h"
#include "wal/wal_catalog.h"

namespace walnut::wal {

// One line of a timeline history file: timeline `parent` ended at `switch_lsn`, where the next
// timeline of the chain branched off.
struct TimelineHistoryEntry {
  pg::TimelineId parent = 0;
  pg::Lsn switch_lsn = 0;
  std::string reason;
  friend bool operator==(const TimelineHistoryEntry&, const TimelineHistoryEntry&) = default;
};

// A history file larger than this is not one PostgreSQL wrote (a line is under 100 bytes).
inline constexpr size_t kMaxTimelineHistoryBytes = 16u << 20;

// Parses the text of `timeline`'s history file ("00000003.history"), as PostgreSQL's
// readTimeLineHistory does: one "parentTLI<TAB>switchpoint LSN<TAB>reason" line per ancestor,
// oldest first; blank lines and lines starting with '#' are skipped; the reason may be absent.
// Throws kCorruption naming `object_name` and the line for a line that does not parse, timelines
// that do not increase, or one not below `timeline`.
std::vector<TimelineHistoryEntry> ParseTimelineHistory(std::string_view text,
                                                       pg::TimelineId timeline,
                                                       std::string_view object_name);

// Downloads (decrypting and decompressing) `timeline`'s history file from `wal_folder`, where
// `catalog` says it is stored, and parses it. nullopt when there is none (timeline 1, or history
// never archived). Throws as MakeDownloadReader and ParseTimelineHistory, and kCorruption for a
// file over kMaxTimelineHistoryBytes.
std::optional<std::vector<TimelineHistoryEntry>> ReadTimelineHistory(
    const Folder& wal_folder, const WalCatalog& catalog, pg::TimelineId timeline,
    const PipelineOptions& pipeline);

}  // namespace walnut::wal
