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

// The verify families (names and help texts) are in metrics/families.h, which `walnut metrics`
// declares them from too.

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

}  // namespace walnut::verify
