// wal-verify's plain and JSON output (WAL-G's wal_verify_output_writer.go and the checks'
// NewPlainTextReader), lines written here.
#include <nlohmann/json.hpp>

#include "wal/wal_show_table.h"
#include "wal/wal_verify.h"

namespace walnut::wal {
namespace {

std::string StatusLines(const char* check, CheckStatus status) {
  return std::string("[wal-verify] ") + check + " check status: " + CheckStatusName(status) +
         "\n[wal-verify] " + check + " check details:\n";
}

}  // namespace

std::string RenderWalVerifyPlain(const WalVerifyReport& report, uint64_t segment_size) {
  std::string out;
  if (report.integrity) {
    out += StatusLines("integrity", report.integrity->status);
    // STATUS is a Go enum (a number) in WAL-G, so go-pretty right-aligns it.
    std::vector<TableColumn> columns = {{"TLI", true},
                                        {"START", false},
                                        {"END", false},
                                        {"SEGMENTS COUNT", true},
                                        {"STATUS", true}};
    std::vector<std::vector<std::string>> rows;
    for (const IntegrityRow& row : report.integrity->rows) {
      rows.push_back({std::to_string(row.timeline),
                      pg::WalFileName({row.timeline, row.segments.first}, segment_size),
                      pg::WalFileName({row.timeline, row.segments.last}, segment_size),
                      std::to_string(row.segments.count()), SegmentStatusName(row.status)});
    }
    out += RenderTable(columns, rows);
  }
  if (report.timeline) {
    out += StatusLines("timeline", report.timeline->status);
    out += "Highest timeline found in storage: " + std::to_string(report.timeline->highest) + "\n";
    out += "Current cluster timeline: " + std::to_string(report.timeline->current) + "\n";
  }
  return out;
}

std::string RenderWalVerifyJson(const WalVerifyReport& report, uint64_t segment_size) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  if (report.integrity) {
    // WAL-G writes null for no rows; an empty array is what a script iterating it expects.
    nlohmann::ordered_json details = nlohmann::ordered_json::array();
    for (const IntegrityRow& row : report.integrity->rows) {
      details.push_back({
          {"timeline_id", row.timeline},
          {"start_segment", pg::WalFileName({row.timeline, row.segments.first}, segment_size)},
          {"end_segment", pg::WalFileName({row.timeline, row.segments.last}, segment_size)},
          {"segments_count", row.segments.count()},
          {"status", SegmentStatusName(row.status)},
      });
    }
    out["integrity"] = {{"status", CheckStatusName(report.integrity->status)},
                        {"details", std::move(details)}};
  }
  if (report.timeline) {
    out["timeline"] = {
        {"status", CheckStatusName(report.timeline->status)},
        {"details",
         {{"current_timeline_id", report.timeline->current},
          {"highest_storage_timeline_id", report.timeline->highest}}},
    };
  }
  return out.dump() + "\n";
}

}  // namespace walnut::wal
