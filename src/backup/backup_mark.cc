#include "backup/backup_mark.h"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "backup/backup_name.h"
#include "common/error.h"
#include "common/logging.h"

namespace walnut {
namespace {

std::optional<BackupSentinel> TryLoadSentinel(const BackupCatalog& catalog,
                                              const std::string& name) {
  try {
    return catalog.LoadSentinel(name);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound) throw;
    return std::nullopt;  // absent, or deleted between its Stat and its Get
  }
}

// Sets is_permanent in the backup's metadata.json when it differs. Returns whether it wrote.
bool SetPermanent(const BackupCatalog& catalog, const ChainLink& backup, bool permanent) {
  std::optional<ExtendedMetadata> stored = catalog.TryLoadMetadata(backup.name);
  if (stored ? stored->is_permanent == permanent : !permanent && !backup.sentinel.is_permanent) {
    return false;
  }
  // No metadata.json: a backup by WAL-E or an old WAL-G. WAL-G's backup-mark fails on it ("failed
  // to fetch the existing backup metadata"); we write one from the sentinel (the fields they
  // share, zero times for a v1 sentinel), so that such a backup can be kept and delete, which
  // reads permanence from metadata.json as WAL-G does, sees the mark.
  ExtendedMetadata metadata = stored.value_or(MetadataFromSentinel(backup.sentinel));
  metadata.is_permanent = permanent;
  catalog.WriteDocument(BackupMetadataKey(backup.name), SerializeExtendedMetadata(metadata));
  return true;
}

// The complete backups that depend on `name` directly or through other deltas, each after every
// backup it depends on (breadth-first over DeltaFrom).
std::vector<ChainLink> Dependents(const BackupCatalog& catalog, const std::string& name) {
  std::map<std::string, std::vector<ChainLink>> deltas_of;  // base -> its deltas
  for (const BackupListEntry& entry : catalog.List()) {
    // WAL-G names every delta base_<start>_D_<base>: a WAL-G name without _D_ is a full backup,
    // and its sentinel need not be fetched.
    if (IsBackupName(entry.name) && entry.name.find("_D_") == std::string::npos) continue;
    std::optional<BackupSentinel> sentinel = TryLoadSentinel(catalog, entry.name);
    if (sentinel && sentinel->IsDelta()) {
      const std::string base = sentinel->delta_from;
      deltas_of[base].push_back(ChainLink{entry.name, std::move(*sentinel)});
    }
  }
  std::vector<ChainLink> found;
  std::set<std::string> seen{name};
  std::deque<std::string> queue{name};
  while (!queue.empty()) {
    for (const ChainLink& delta : deltas_of[queue.front()]) {
      if (!seen.insert(delta.name).second) continue;  // a loop in corrupt sentinels
      found.push_back(delta);
      queue.push_back(delta.name);
    }
    queue.pop_front();
  }
  return found;
}

void MarkPermanent(const BackupCatalog& catalog, const std::string& name) {
  std::vector<ChainLink> chain = LoadBackupChain(catalog, name);
  // Bases first: an interrupted run never leaves a permanent delta whose base is not.
  for (auto link = chain.rbegin(); link != chain.rend(); ++link) {
    const bool changed = SetPermanent(catalog, *link, true);
    const std::string why =
        link->name == name ? "" : fmt::format(" (backup {} depends on it)", name);
    if (changed) {
      spdlog::info("marked {} permanent{}", link->name, why);
    } else {
      spdlog::info("{} is already permanent{}", link->name, why);
    }
  }
}

void MarkImpermanent(const BackupCatalog& catalog, const std::string& name) {
  ChainLink backup{name, catalog.LoadSentinel(name)};
  std::vector<std::string> permanent;
  for (const ChainLink& dependent : Dependents(catalog, name)) {
    if (IsBackupPermanent(catalog, dependent.name, dependent.sentinel)) {
      permanent.push_back(dependent.name);
    }
  }
  if (!permanent.empty()) {
    // Newest first: each can be unmarked once the ones depending on it are.
    std::reverse(permanent.begin(), permanent.end());
    throw Error(
        ErrorCode::kFailedPrecondition,
        permanent.size() == 1
            ? fmt::format("cannot mark backup {} impermanent: permanent backup {} depends on it; "
                          "unmark it first (backup-mark -i {})",
                          name, permanent.front(), permanent.front())
            : fmt::format("cannot mark backup {} impermanent: permanent backups {} depend on it; "
                          "unmark them first, in that order (backup-mark -i {})",
                          name, fmt::join(permanent, ", "), permanent.front()));
  }
  if (SetPermanent(catalog, backup, false)) {
    spdlog::info("marked {} impermanent", name);
  } else {
    spdlog::info("{} is already impermanent", name);
  }
}

}  // namespace

BackupChain WalkBackupChain(const BackupCatalog& catalog, std::string_view name) {
  BackupChain chain;
  std::set<std::string> seen;
  std::string next(name);
  while (!next.empty()) {
    if (!seen.insert(next).second) {
      std::vector<std::string> names;
      for (const ChainLink& link : chain.links) names.push_back(link.name);
      throw Error(ErrorCode::kCorruption,
                  fmt::format("the delta chain of backup {} loops ({} -> {}): its sentinels "
                              "name each other as DeltaFrom",
                              name, fmt::join(names, " -> "), next));
    }
    std::optional<BackupSentinel> sentinel = TryLoadSentinel(catalog, next);
    if (!sentinel) {
      chain.missing = next;
      break;
    }
    std::string base = sentinel->delta_from;
    chain.links.push_back(ChainLink{std::move(next), std::move(*sentinel)});
    next = std::move(base);
  }
  return chain;
}

std::vector<ChainLink> LoadBackupChain(const BackupCatalog& catalog, std::string_view name) {
  BackupChain chain = WalkBackupChain(catalog, name);
  if (chain.missing.empty()) return std::move(chain.links);
  if (chain.links.empty()) {
    throw Error(ErrorCode::kNotFound, fmt::format("backup '{}' not found in {}; run backup-list",
                                                  chain.missing, catalog.Describe()));
  }
  throw Error(ErrorCode::kNotFound,
              fmt::format("backup '{}', the base of delta {}, not found in {}: the delta chain of "
                          "{} is broken",
                          chain.missing, chain.links.back().name, catalog.Describe(), name));
}

bool IsBackupPermanent(const BackupCatalog& catalog, std::string_view name,
                       const BackupSentinel& sentinel) {
  if (auto metadata = catalog.TryLoadMetadata(name)) return metadata->is_permanent;
  return sentinel.is_permanent;
}

void MarkBackup(const BackupCatalog& catalog, std::string_view name_or_latest, bool permanent) {
  const std::string name = catalog.Resolve(name_or_latest).name;
  if (permanent) {
    MarkPermanent(catalog, name);
  } else {
    MarkImpermanent(catalog, name);
  }
}

}  // namespace walnut
