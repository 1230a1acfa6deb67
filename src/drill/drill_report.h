#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "drill/drill.h"
#include "localfs/local_fs.h"
#include "storage/folder.h"

namespace walnut::drill {

// Where a report comes from, for its common fields.
struct ReportOrigin {
  std::string host{};            // "" takes gethostname()
  std::string walnut_version{};  // "walnut 0.14.0 (abc1234)"
};

// The drill's JSON report ("kind": "drill", version 1): what --report writes and what is stored
// at walnut_reports/drill.json. Times are RFC 3339 UTC; absent values are null.
std::string ReportJson(const DrillResult& result, const ReportOrigin& origin);

// The drill's families in Prometheus' text format, labelled storage=`storage_label` and
// source="drill" (metrics/families.h).
std::string MetricsText(const DrillResult& result, const std::string& storage_label);

// Where a finished drill's report goes, each optional but the stored one.
struct ReportOutputs {
  std::string report_file;   // --report FILE: the JSON, written atomically (0644)
  std::string textfile_dir;  // --textfile DIR: DIR/walnut_drill.prom
  // The storage, as `walnut metrics` and verify label it (BackupCatalog::Describe()).
  std::string storage_label;
};

// The storage key of the stored report (beside basebackups_005/ and wal_005/).
inline constexpr std::string_view kStoredReportKey = "walnut_reports/drill.json";

// Writes the report to every output: the stored document at kStoredReportKey under `root`
// (checksummed as the sentinels), --report and --textfile. Returns one line per output that
// failed (the others are still written).
std::vector<std::string> PublishReport(const DrillResult& result, const ReportOrigin& origin,
                                       const Folder& root, LocalFs& fs,
                                       const ReportOutputs& outputs);

// A few lines for a person: the backup, the target, the checks, RTO/RPO, the verdict.
std::string Summary(const DrillResult& result);

}  // namespace walnut::drill
