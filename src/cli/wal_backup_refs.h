#pragma once

#include <vector>

#include "cli/command_context.h"
#include "wal/wal_catalog_backup.h"

namespace walnut {

// The complete backups of the storage, as wal-show and wal-verify take them: name, timeline and
// start segment from the backup's name, finish segment and permanence from its metadata.json
// (the sentinel for backups without one), and the backup-list --detail object for
// wal-show --detailed-json. Oldest sentinel first. Throws when a backup's documents are missing
// or do not parse, naming the object.
std::vector<wal::WalBackupRef> LoadWalBackupRefs(CommandContext& context);

}  // namespace walnut
