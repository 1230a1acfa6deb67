#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "backup/backup_catalog.h"
#include "backup/backup_metadata.h"

namespace walnut {

// One backup of a delta chain.
struct ChainLink {
  std::string name;
  BackupSentinel sentinel;
};

// A backup and the backups it depends on: itself first, then its DeltaFrom, that one's DeltaFrom,
// ..., the full backup last.
struct BackupChain {
  std::vector<ChainLink> links;
  // The first backup of the walk whose sentinel is absent ("" when the chain is whole): `links`
  // ends just before it. It may be the starting backup itself.
  std::string missing;
};

// Follows DeltaFrom from `name` down to its full backup. A missing sentinel ends the walk (see
// BackupChain::missing); a loop or an absurdly long chain throws kCorruption naming `name`.
BackupChain WalkBackupChain(const BackupCatalog& catalog, std::string_view name);

// WalkBackupChain that throws kNotFound for a missing backup, naming the delta that needs it.
std::vector<ChainLink> LoadBackupChain(const BackupCatalog& catalog, std::string_view name);

// Whether the backup is permanent: metadata.json's is_permanent (what backup-mark writes and
// delete reads, as WAL-G), or the sentinel's for a backup without metadata.json.
bool IsBackupPermanent(const BackupCatalog& catalog, std::string_view name,
                       const BackupSentinel& sentinel);

// backup-mark (WAL-G's internal/backup_mark.go): sets is_permanent in
// basebackups_005/<name>/metadata.json; the sentinel is never rewritten. `name_or_latest` may be
// LATEST. Logs one INFO line per backup, changed or not; writes only what changes.
//  - permanent: the backup and every backup it depends on (its whole DeltaFrom chain), bases
//    first, so that an interrupted run never leaves a permanent delta with a base that is not.
//    A missing base throws kNotFound before anything is written.
//  - impermanent: the backup only. Throws kFailedPrecondition, changing nothing, while a complete
//    backup that depends on it (directly or through other deltas) is permanent: it would lose its
//    base to the next delete.
// An unknown backup throws kNotFound ("backup 'X' not found in ...").
void MarkBackup(const BackupCatalog& catalog, std::string_view name_or_latest, bool permanent);

}  // namespace walnut
