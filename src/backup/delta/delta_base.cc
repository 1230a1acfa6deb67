#include "backup/delta/delta_base.h"

#include <fmt/format.h>

#include "backup/backup_mark.h"
#include "common/error.h"
#include "common/logging.h"

namespace walnut {
std::optional<DeltaBase> ChooseDeltaBase(const BackupCatalog& catalog,
                                         const DeltaRequest& request) {
  bool explicit_base = !request.from_name.empty() || !request.from_user_data.empty();
  if (request.full) return std::nullopt;
  if (request.max_steps <= 0) {
    if (explicit_base) {
      spdlog::warn(
          "--delta-from-name / --delta-from-user-data ignored: WALG_DELTA_MAX_STEPS is 0, so delta "
          "backups are off; taking a full backup");
    }
    return std::nullopt;
  }

  DeltaBase base;
  if (!request.from_name.empty()) {
    base.name = catalog.Resolve(request.from_name).name;
  } else if (!request.from_user_data.empty()) {
    base.name = catalog.FindByUserData(request.from_user_data,
                                       "--delta-from-user-data / WALG_DELTA_FROM_USER_DATA");
  } else {
    std::vector<BackupListEntry> backups = catalog.List();
    if (backups.empty()) {
      spdlog::info("no previous backup to take a delta from: taking a full backup");
      return std::nullopt;
    }
    base.name = backups.back().name;
  }
  try {
    base.sentinel = catalog.LoadSentinel(base.name);
  } catch (const Error& e) {
    spdlog::warn("cannot read the sentinel of {} ({}): taking a full backup", base.name, e.what());
    return std::nullopt;
  }
  base.count = base.sentinel.delta_count + 1;
  if (base.count > request.max_steps) {
    spdlog::info(
        "{} deltas since the last full backup reach WALG_DELTA_MAX_STEPS={}: taking a "
        "full backup",
        base.count - 1, request.max_steps);
    return std::nullopt;
  }
  if (base.sentinel.lsn == 0) {
    spdlog::info("backup {} records no start LSN: taking a full backup", base.name);
    return std::nullopt;
  }
  if (base.sentinel.files_metadata_disabled) {
    spdlog::info("backup {} has no file list (--without-files-metadata): taking a full backup",
                 base.name);
    return std::nullopt;
  }
  if (IsBackupPermanent(catalog, base.name, base.sentinel) && !request.permanent &&
      !request.from_latest_full) {
    spdlog::info("Can't do a delta backup from permanent backup {}: taking a full backup",
                 base.name);
    return std::nullopt;
  }
  if (request.from_latest_full && base.sentinel.IsDelta()) {
    // WAL-G keeps the count computed from the latest backup: it bounds the deltas per full.
    base.name = base.sentinel.delta_full_name;
    base.sentinel = catalog.LoadSentinel(base.name);
  }
  base.full_name = base.sentinel.IsDelta() ? base.sentinel.delta_full_name : base.name;
  spdlog::info("delta backup from {} (delta {} of at most {} since full backup {})", base.name,
               base.count, request.max_steps, base.full_name);
  return base;
}

void CheckDeltaBase(const DeltaBase& base, pg::Lsn start_lsn,
                    std::optional<uint64_t> system_identifier) {
  if (base.sentinel.finish_lsn > start_lsn) {
    throw Error(
        ErrorCode::kInvalidArgument,
        fmt::format("Finish LSN of backup {} greater than current LSN ({} > {}): the base "
                    "is of another cluster or of a later state of this one; take a full "
                    "backup with --full",
                    base.name, pg::FormatLsn(base.sentinel.finish_lsn), pg::FormatLsn(start_lsn)));
  }
  if (base.sentinel.system_identifier && system_identifier &&
      *base.sentinel.system_identifier != *system_identifier) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("Current database and database of base backup are not equal: backup "
                            "{} is of database system {}, this server is {}; take a full backup "
                            "with --full",
                            base.name, *base.sentinel.system_identifier, *system_identifier));
  }
}

void MarkAncestorsPermanent(const BackupCatalog& catalog, const DeltaBase& base) {
  MarkBackup(catalog, base.name, /*permanent=*/true);
}

}  // namespace walnut
