#include "wal/timeline_history.h"

#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "common/error.h"
#include "io/reader.h"

namespace walnut::wal {
namespace {

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view SkipSpace(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && IsSpace(text[i])) ++i;
  return text.substr(i);
}

// The leading token of `text` (up to whitespace), removed from `text`.
std::string_view TakeToken(std::string_view& text) {
  size_t i = 0;
  while (i < text.size() && !IsSpace(text[i])) ++i;
  std::string_view token = text.substr(0, i);
  text = SkipSpace(text.substr(i));
  return token;
}

template <typename T>
bool ParseNumber(std::string_view text, int base, T& value) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  return ec == std::errc() && end == text.data() + text.size();
}

// "16/B374D848" as PostgreSQL's %X/%X (either case); nullopt when it is not one.
std::optional<pg::Lsn> ParseSwitchpoint(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  uint32_t high = 0;
  uint32_t low = 0;
  if (!ParseNumber(text.substr(0, slash), 16, high) ||
      !ParseNumber(text.substr(slash + 1), 16, low)) {
    return std::nullopt;
  }
  return (pg::Lsn{high} << 32) | low;
}

}  // namespace

std::vector<TimelineHistoryEntry> ParseTimelineHistory(std::string_view text,
                                                       pg::TimelineId timeline,
                                                       std::string_view object_name) {
  std::vector<TimelineHistoryEntry> entries;
  size_t line_number = 0;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++line_number;

    std::string_view rest = SkipSpace(line);
    if (rest.empty() || rest.front() == '#') continue;
    auto bad = [&](std::string_view problem) {
      return Error(ErrorCode::kCorruption, fmt::format("timeline history {} line {}: {}",
                                                       object_name, line_number, problem));
    };

    TimelineHistoryEntry entry;
    if (!ParseNumber(TakeToken(rest), 10, entry.parent) || entry.parent == 0) {
      throw bad("expected a numeric timeline ID");
    }
    std::optional<pg::Lsn> lsn = ParseSwitchpoint(TakeToken(rest));
    if (!lsn) throw bad("expected a write-ahead log switchpoint location (X/X)");
    entry.switch_lsn = *lsn;
    while (!rest.empty() && IsSpace(rest.back())) rest.remove_suffix(1);
    entry.reason = std::string(rest);

    if (!entries.empty() && entry.parent <= entries.back().parent) {
      throw bad("timeline IDs must be in increasing sequence");
    }
    if (entry.parent >= timeline) {
      throw bad(fmt::format("timeline {} is not below the file's own timeline {}", entry.parent,
                            timeline));
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::optional<std::vector<TimelineHistoryEntry>> ReadTimelineHistory(
    const Folder& wal_folder, const WalCatalog& catalog, pg::TimelineId timeline,
    const PipelineOptions& pipeline) {
  std::optional<std::string> object = catalog.HistoryObject(timeline);
  if (!object) return std::nullopt;
  auto reader = MakeDownloadReader(wal_folder, *object, pipeline);
  std::string text;
  std::string chunk(64_KiB, '\0');
  while (size_t n = reader->Read(AsWritableBytes(chunk))) {
    text.append(chunk, 0, n);
    if (text.size() > kMaxTimelineHistoryBytes) {
      throw Error(ErrorCode::kCorruption,
                  fmt::format("timeline history {} is larger than {} bytes",
                              wal_folder.Key(*object), kMaxTimelineHistoryBytes));
    }
  }
  return ParseTimelineHistory(text, timeline, wal_folder.Key(*object));
}

}  // namespace walnut::wal
