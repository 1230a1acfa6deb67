#include "verify/verify_report.h"

#include <chrono>

#include <nlohmann/json.hpp>

#include "metrics/exposition.h"
#include "metrics/families.h"

namespace walnut::verify {
namespace {

double Seconds(Timestamp t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

}  // namespace

std::string RenderVerifyReport(const VerifyResult& result, const ReportOrigin& origin,
                               bool pretty) {
  nlohmann::ordered_json json;
  json["version"] = 1;
  json["kind"] = "verify";
  json["started_at"] = FormatRfc3339Nano(result.started_at);
  json["finished_at"] = FormatRfc3339Nano(result.finished_at);
  json["success"] = result.success();
  json["host"] = origin.host;
  json["walnut_version"] = origin.walnut_version;
  json["errors"] = result.errors;
  json["backups_checked"] = result.backups_checked;
  json["backups_failed"] = result.backups_failed;
  json["files_checked"] = result.files_checked;
  json["bytes_read"] = result.bytes_read;
  json["wal_segments_checked"] = result.wal_segments_checked;
  json["wal_segments_missing"] = result.wal_segments_missing;
  json["backups"] = result.backups;
  // Strings from storage (names, messages) may hold invalid UTF-8: replaced, never thrown on.
  if (pretty) return json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void StoreVerifyReport(const BackupCatalog& catalog, const std::string& report) {
  catalog.WriteDocument(std::string(kVerifyReportKey), report);
}

std::string RenderVerifyMetrics(const VerifyResult& result, const std::string& storage) {
  metrics::Exposition out;
  auto labels = [&] {
    return std::vector<metrics::Label>{{"storage", storage}, {"source", "verify"}};
  };
  metrics::AddSample(out, metrics::kVerifyLastRun, labels(), Seconds(result.finished_at));
  metrics::AddSample(out, metrics::kVerifyLastSuccess, labels(), result.success() ? 1 : 0);
  metrics::AddSample(out, metrics::kVerifyLastBackupsChecked, labels(),
                     static_cast<double>(result.backups_checked));
  metrics::AddSample(out, metrics::kVerifyLastErrors, labels(),
                     static_cast<double>(result.errors.size()));
  return out.Text();
}

}  // namespace walnut::verify
