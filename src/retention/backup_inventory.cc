#include "retention/backup_inventory.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "backup/backup_name.h"
#include "common/error.h"

namespace walnut::retention {
namespace {

// What one recursive listing of basebackups_005/ shows.
struct Listing {
  std::map<std::string, Timestamp> sentinels;  // backup name -> the sentinel's LastModified
  std::map<std::string, Timestamp> folders;    // first path component -> its newest object
};

Listing ListBackupsFolder(const BackupCatalog& catalog) {
  Listing listing;
  catalog.root().List(kBaseBackupsFolder, ListOptions{.recursive = true},
                      [&](const ObjectInfo& info) {
                        if (info.is_prefix) return;
                        std::string_view key = info.key;
                        key.remove_prefix(std::min(key.size(), kBaseBackupsFolder.size()));
                        const size_t slash = key.find('/');
                        if (slash == std::string_view::npos) {
                          if (!key.ends_with(kSentinelSuffix)) return;
                          key.remove_suffix(kSentinelSuffix.size());
                          listing.sentinels[std::string(key)] = Timestamp(info.mtime);
                          return;
                        }
                        Timestamp& newest = listing.folders[std::string(key.substr(0, slash))];
                        newest = std::max(newest, Timestamp(info.mtime));
                      });
  return listing;
}

std::optional<pg::WalSegment> StartOf(std::string_view name, uint64_t segment_size) {
  if (!IsBackupName(name)) return std::nullopt;
  return pg::ParseWalFileName(BackupWalFileName(name), segment_size);
}

// "base_<X>_D_<Y>" -> "base_<Y>".
std::string DeltaBaseOf(std::string_view name) {
  const size_t pos = name.find("_D_");
  if (pos == std::string_view::npos) return "";
  return "base_" + BackupWalFileName(name.substr(pos + 3));
}

// A delta's name keeps only the start segment of its base ("base_<X>_D_<Y>"), and the base may be
// a delta itself ("base_<Y>_D_<Z>"): the backup or folder whose name is "base_<Y>" or starts with
// "base_<Y>_D_". "" when there is none.
std::string ResolveBase(const std::string& short_name, const std::vector<StoredBackup>& backups,
                        const std::vector<std::string>& unlisted) {
  if (short_name.empty()) return "";
  auto matches = [&](std::string_view name) {
    return name == short_name || name.starts_with(short_name + "_D_");
  };
  for (const StoredBackup& backup : backups) {
    if (matches(backup.name)) return backup.name;
  }
  for (const std::string& name : unlisted) {
    if (matches(name)) return name;
  }
  return "";
}

StoredBackup ReadBackup(const BackupCatalog& catalog, const std::string& name, pg::WalSegment start,
                        uint64_t segment_size) {
  const BackupSentinel sentinel = catalog.LoadSentinel(name);
  const ExtendedMetadata metadata =
      catalog.TryLoadMetadata(name).value_or(MetadataFromSentinel(sentinel));
  StoredBackup backup;
  backup.name = name;
  backup.start = start;
  const pg::Lsn finish = metadata.finish_lsn != 0 ? metadata.finish_lsn : sentinel.finish_lsn;
  backup.finish_segno =
      std::max(start.segno, finish == 0 ? start.segno : pg::LsnToSegment(finish, segment_size));
  backup.time = metadata.start_time;
  backup.delta_from = sentinel.delta_from;
  backup.permanent = metadata.is_permanent;
  return backup;
}

}  // namespace

const StoredBackup* BackupInventory::Find(std::string_view name) const {
  for (const StoredBackup& backup : backups) {
    if (backup.name == name) return &backup;
  }
  return nullptr;
}

BackupInventory LoadBackupInventory(const BackupCatalog& catalog, uint64_t segment_size,
                                    Timestamp now, std::chrono::milliseconds pending_age) {
  Listing listing = ListBackupsFolder(catalog);
  BackupInventory inventory;
  std::map<std::string, Timestamp> sentinel_times;
  for (const auto& [name, modified] : listing.sentinels) {
    std::optional<pg::WalSegment> start = StartOf(name, segment_size);
    if (!start) {
      // WAL-G never deletes what has no WAL name in it; neither do we.
      spdlog::warn("{}: not a backup name; delete leaves it alone", BackupSentinelKey(name));
      continue;
    }
    inventory.backups.push_back(ReadBackup(catalog, name, *start, segment_size));
    sentinel_times[name] = modified;
  }
  const bool by_start_time =
      std::all_of(inventory.backups.begin(), inventory.backups.end(),
                  [](const StoredBackup& backup) { return backup.time != kGoZeroTime; });
  if (!by_start_time) {
    for (StoredBackup& backup : inventory.backups) backup.time = sentinel_times[backup.name];
  }
  std::stable_sort(inventory.backups.begin(), inventory.backups.end(),
                   [](const StoredBackup& a, const StoredBackup& b) {
                     if (a.time != b.time) return a.time < b.time;
                     return a.name < b.name;
                   });

  std::vector<std::string> unlisted_names;
  for (const auto& [name, newest] : listing.folders) {
    if (listing.sentinels.contains(name)) continue;
    std::optional<pg::WalSegment> start = StartOf(name, segment_size);
    if (!start) continue;
    inventory.unlisted.push_back(UnlistedFolder{.name = name,
                                                .start = *start,
                                                .delta_base = DeltaBaseOf(name),
                                                .newest = newest,
                                                .pending = now - newest < pending_age});
    unlisted_names.push_back(name);
  }
  // Once every folder is known: a pending delta's base may be another folder without a sentinel.
  for (UnlistedFolder& folder : inventory.unlisted) {
    folder.delta_base = ResolveBase(folder.delta_base, inventory.backups, unlisted_names);
  }
  return inventory;
}

}  // namespace walnut::retention
