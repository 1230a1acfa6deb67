#pragma once

#include <string_view>

namespace walnut::metrics {

// The restore drill's families: names and help texts are a contract shared by `walnut drill
// --textfile` (source="drill") and `walnut metrics` (source="storage"), which node_exporter merges
// from one directory, so both take them from here. Every family also has the `storage` label.
struct FamilySpec {
  std::string_view name;
  std::string_view help;
};

inline constexpr FamilySpec kDrillLastRunTimestamp{
    "walnut_drill_last_run_timestamp_seconds",
    "When the last restore drill finished, in seconds since the epoch."};
inline constexpr FamilySpec kDrillLastSuccess{
    "walnut_drill_last_success", "1 when the last restore drill passed every check, else 0."};
inline constexpr FamilySpec kDrillLastSuccessTimestamp{
    "walnut_drill_last_success_timestamp_seconds",
    "When the last successful restore drill finished, in seconds since the epoch."};
inline constexpr FamilySpec kDrillLastRto{
    "walnut_drill_last_rto_seconds",
    "Seconds from the last drill's start to a restored, consistent and checked cluster."};
inline constexpr FamilySpec kDrillLastRpo{
    "walnut_drill_last_rpo_seconds",
    "The last drill's target time minus the commit time of the last transaction it recovered."};
inline constexpr FamilySpec kDrillLastBackupAge{
    "walnut_drill_last_backup_age_seconds",
    "Age of the backup the last drill restored, at the drill's start."};
inline constexpr FamilySpec kDrillLastDuration{"walnut_drill_last_duration_seconds",
                                               "How long the last restore drill took."};

}  // namespace walnut::metrics
