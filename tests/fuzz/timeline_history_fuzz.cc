// libFuzzer target over the timeline history parser and the WAL object-name catalogue: history
// files and object names come from storage, so they are untrusted input. Parsing must return or
// throw walnut::Error; what it returns must keep the parser's promises.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "wal/timeline_history.h"
#include "wal/wal_catalog.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr walnut::pg::TimelineId kTimeline = 1000;
  try {
    auto entries = walnut::wal::ParseTimelineHistory(text, kTimeline, "fuzz.history");
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].parent == 0 || entries[i].parent >= kTimeline) __builtin_trap();
      if (i > 0 && entries[i].parent <= entries[i - 1].parent) __builtin_trap();
    }
  } catch (const walnut::Error&) {
  }

  // Every line as an object name of wal_005/.
  walnut::wal::WalCatalog catalog;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    catalog.Add(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
  }
  for (walnut::pg::TimelineId timeline : catalog.Timelines()) {
    if (catalog.Segments(timeline).empty() || timeline > catalog.HighestTimeline()) {
      __builtin_trap();
    }
  }
  return 0;
}
