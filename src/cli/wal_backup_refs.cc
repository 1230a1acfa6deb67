#include "cli/wal_backup_refs.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "backup/backup_catalog.h"
#include "backup/backup_metadata.h"
#include "common/error.h"

namespace walnut {

std::vector<wal::WalBackupRef> LoadWalBackupRefs(CommandContext& context) {
  const uint64_t segment_size = context.settings().wal_segment_size;
  BackupCatalog catalog(context.root());
  std::vector<wal::WalBackupRef> refs;
  for (const BackupListEntry& entry : catalog.List()) {
    std::optional<pg::WalSegment> start = pg::ParseWalFileName(entry.wal_file_name, segment_size);
    if (!start) {
      throw Error(ErrorCode::kCorruption,
                  fmt::format("backup '{}': its name holds no WAL segment", entry.name));
    }
    std::optional<ExtendedMetadata> metadata = catalog.TryLoadMetadata(entry.name);
    if (!metadata) metadata = MetadataFromSentinel(catalog.LoadSentinel(entry.name));

    // WAL-G's BackupDetail: BackupTime's fields, then ExtendedMetadataDto's.
    nlohmann::ordered_json detail = {{"backup_name", entry.name},
                                     {"time", FormatRfc3339Nano(entry.modified)},
                                     {"wal_file_name", entry.wal_file_name},
                                     {"storage_name", entry.storage_name}};
    detail.update(ExtendedMetadataJson(*metadata));

    refs.push_back(wal::WalBackupRef{
        .name = entry.name,
        .timeline = start->timeline,
        .start_segno = start->segno,
        .finish_segno = pg::LsnToSegment(metadata->finish_lsn, segment_size),
        .permanent = metadata->is_permanent,
        .detail = std::move(detail),
    });
  }
  return refs;
}

}  // namespace walnut
