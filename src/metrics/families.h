#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "metrics/exposition.h"

// The names, types and help texts of every family Walnut exports to Prometheus, in one table:
// node_exporter merges the .prom files of one directory and refuses a family declared twice with
// different help, so `walnut metrics`, `walnut drill --textfile` and `walnut verify --textfile`
// must all declare a family with exactly these words. Every family carries a `storage` label (the
// storage URL without credentials), so that one host can report several archives.
namespace walnut::metrics {

struct MetricSpec {
  std::string_view name;
  MetricType type;
  std::string_view help;
};

// `walnut metrics`: the storage.
inline constexpr MetricSpec kUp{"walnut_up", MetricType::kGauge,
                                "1 when the storage could be listed, else 0."};
inline constexpr MetricSpec kBackups{"walnut_backups", MetricType::kGauge,
                                     "Number of complete backups in the storage, by type."};
inline constexpr MetricSpec kBackupLastStart{"walnut_backup_last_start_timestamp_seconds",
                                             MetricType::kGauge,
                                             "Unix time the newest backup of this type started."};
inline constexpr MetricSpec kBackupLastFinish{"walnut_backup_last_finish_timestamp_seconds",
                                              MetricType::kGauge,
                                              "Unix time the newest backup of this type finished."};
inline constexpr MetricSpec kBackupLastCompressed{
    "walnut_backup_last_compressed_size_bytes", MetricType::kGauge,
    "Stored (compressed) size of the newest backup of this type."};
inline constexpr MetricSpec kBackupLastUncompressed{
    "walnut_backup_last_uncompressed_size_bytes", MetricType::kGauge,
    "Uncompressed size of the newest backup of this type."};
inline constexpr MetricSpec kBackupLastDuration{
    "walnut_backup_last_duration_seconds", MetricType::kGauge,
    "Duration of the newest backup of this type."};
inline constexpr MetricSpec kOldestRecoverable{
    "walnut_oldest_recoverable_timestamp_seconds", MetricType::kGauge,
    "Unix time of the oldest point the storage can restore to (end of the oldest backup; WAL "
    "continuity after it is not checked)."};
inline constexpr MetricSpec kWalNewestArchived{
    "walnut_wal_newest_archived_timestamp_seconds", MetricType::kGauge,
    "Unix time the newest archived WAL segment was stored."};
inline constexpr MetricSpec kWalArchivedSegments{"walnut_wal_archived_segments",
                                                 MetricType::kGauge,
                                                 "Number of WAL segments in the storage."};
inline constexpr MetricSpec kStorageSize{"walnut_storage_size_bytes", MetricType::kGauge,
                                         "Bytes stored, by kind (backups, wal, other)."};

// `walnut metrics`: the database, when it answers.
inline constexpr MetricSpec kPgUp{"walnut_pg_up", MetricType::kGauge,
                                  "1 when the database answered, else 0."};
inline constexpr MetricSpec kArchiverArchived{
    "walnut_archiver_archived_total", MetricType::kCounter,
    "WAL files the database's archiver archived (pg_stat_archiver.archived_count)."};
inline constexpr MetricSpec kArchiverFailed{
    "walnut_archiver_failed_total", MetricType::kCounter,
    "Failed archive attempts of the database's archiver (pg_stat_archiver.failed_count)."};
inline constexpr MetricSpec kArchiverLastArchived{
    "walnut_archiver_last_archived_timestamp_seconds", MetricType::kGauge,
    "Unix time of the archiver's last success."};
inline constexpr MetricSpec kArchiverLastFailed{"walnut_archiver_last_failed_timestamp_seconds",
                                                MetricType::kGauge,
                                                "Unix time of the archiver's last failure."};
inline constexpr MetricSpec kArchiveLag{
    "walnut_archive_lag_bytes", MetricType::kGauge,
    "WAL bytes written by the database after the end of the newest archived segment."};

// The last restore drill (walnut drill; `walnut metrics` reads the stored report).
inline constexpr MetricSpec kDrillLastRun{
    "walnut_drill_last_run_timestamp_seconds", MetricType::kGauge,
    "When the last restore drill finished, in seconds since the epoch."};
inline constexpr MetricSpec kDrillLastSuccess{
    "walnut_drill_last_success", MetricType::kGauge,
    "1 when the last restore drill passed every check, else 0."};
inline constexpr MetricSpec kDrillLastSuccessTime{
    "walnut_drill_last_success_timestamp_seconds", MetricType::kGauge,
    "When the last successful restore drill finished, in seconds since the epoch."};
inline constexpr MetricSpec kDrillLastRto{
    "walnut_drill_last_rto_seconds", MetricType::kGauge,
    "Seconds from the last drill's start to a restored, consistent and checked cluster."};
inline constexpr MetricSpec kDrillLastRpo{
    "walnut_drill_last_rpo_seconds", MetricType::kGauge,
    "The last drill's target time minus the commit time of the last transaction it recovered."};
inline constexpr MetricSpec kDrillLastBackupAge{
    "walnut_drill_last_backup_age_seconds", MetricType::kGauge,
    "Age of the backup the last drill restored, at the drill's start."};
inline constexpr MetricSpec kDrillLastDuration{
    "walnut_drill_last_duration_seconds", MetricType::kGauge,
    "How long the last restore drill took."};

// The last verify (walnut verify; `walnut metrics` reads the stored report).
inline constexpr MetricSpec kVerifyLastRun{
    "walnut_verify_last_run_timestamp_seconds", MetricType::kGauge,
    "When the last walnut verify finished, in seconds since the epoch."};
inline constexpr MetricSpec kVerifyLastSuccess{
    "walnut_verify_last_success", MetricType::kGauge,
    "Whether the last walnut verify found no problem (1) or not (0)."};
inline constexpr MetricSpec kVerifyLastBackupsChecked{
    "walnut_verify_last_backups_checked", MetricType::kGauge,
    "Backups the last walnut verify read back and checked."};
inline constexpr MetricSpec kVerifyLastErrors{
    "walnut_verify_last_errors", MetricType::kGauge,
    "Problems the last walnut verify found."};

// Every family above, for documentation checks.
std::span<const MetricSpec> AllMetricSpecs();

// Adds one sample of `spec` to `out`.
inline void AddSample(Exposition& out, const MetricSpec& spec,
                      std::vector<Label> labels, double value) {
  out.Add(spec.name, spec.type, spec.help, std::move(labels), value);
}

}  // namespace walnut::metrics
