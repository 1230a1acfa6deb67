#pragma once

#include <string>
#include <string_view>

#include "backup/backup_catalog.h"
#include "verify/backup_verify.h"

namespace walnut::verify {

// Where `walnut verify` stores its result, relative to the storage root (beside basebackups_005/
// and wal_005/; WAL-G ignores it and Walnut's delete leaves it alone).
inline constexpr std::string_view kVerifyReportKey = "walnut_reports/verify.json";
// The textfile `verify --textfile DIR` writes in DIR.
inline constexpr std::string_view kVerifyTextfileName = "walnut_verify.prom";

// The verify families: names and help texts, declared the same by every producer (`walnut verify
// --textfile` with source="verify", `walnut metrics` from the stored report with source="storage").
struct MetricFamily {
  std::string_view name;
  std::string_view help;
};
inline constexpr MetricFamily kLastRunTimestamp{
    "walnut_verify_last_run_timestamp_seconds",
    "When the last walnut verify finished, in seconds since the epoch."};
inline constexpr MetricFamily kLastSuccess{
    "walnut_verify_last_success",
    "Whether the last walnut verify found no problem (1) or not (0)."};
inline constexpr MetricFamily kLastBackupsChecked{
    "walnut_verify_last_backups_checked", "Backups the last walnut verify read back and checked."};
inline constexpr MetricFamily kLastErrors{"walnut_verify_last_errors",
                                          "Problems the last walnut verify found."};

// Who ran it, for the report.
struct ReportOrigin {
  std::string host;
  std::string walnut_version;
};

// The JSON report (version 1, kind "verify"): started_at, finished_at (RFC 3339 UTC), success,
// host, walnut_version, errors, backups_checked, backups_failed, files_checked, bytes_read,
// wal_segments_checked, wal_segments_missing, and "backups" (the names checked). Pretty-printed
// with a final newline when `pretty`, else compact.
std::string RenderVerifyReport(const VerifyResult& result, const ReportOrigin& origin,
                               bool pretty = false);

// Stores the compact report at kVerifyReportKey through the pipeline's document writer (its
// SHA-256 recorded, as sentinels). Throws Error from the storage.
void StoreVerifyReport(const BackupCatalog& catalog, const std::string& report);

// The textfile's content: the four families with labels storage=`storage` (the storage prefix
// URL without credentials) and source="verify".
std::string RenderVerifyMetrics(const VerifyResult& result, const std::string& storage);

// This host's name ("" when it cannot be read).
std::string HostName();

}  // namespace walnut::verify
