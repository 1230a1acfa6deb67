#include "metrics/families.h"

#include <array>

namespace walnut::metrics {

std::span<const MetricSpec> AllMetricSpecs() {
  static constexpr std::array kAll{
      kUp,                 kBackups,          kBackupLastStart,       kBackupLastFinish,
      kBackupLastCompressed, kBackupLastUncompressed, kBackupLastDuration, kOldestRecoverable,
      kWalNewestArchived,  kWalArchivedSegments, kStorageSize,        kPgUp,
      kArchiverArchived,   kArchiverFailed,   kArchiverLastArchived,  kArchiverLastFailed,
      kArchiveLag,         kDrillLastRun,     kDrillLastSuccess,      kDrillLastSuccessTime,
      kDrillLastRto,       kDrillLastRpo,     kDrillLastBackupAge,    kDrillLastDuration,
      kVerifyLastRun,      kVerifyLastSuccess, kVerifyLastBackupsChecked, kVerifyLastErrors,
  };
  return kAll;
}

}  // namespace walnut::metrics
