#pragma once

#include <optional>

#include "backup/pgdata_walker.h"
#include "backup/tar_partition.h"
#include "postgres/lsn.h"

namespace walnut {

// Whether a delta stores `entry` as an increment when its base has the file: a relation's main
// fork (<relfilenode>[.<segment>], as WAL-G's basename test) with whole pages. The _fsm and _vm
// forks go whole: PostgreSQL clears their bits without moving their page LSN.
bool IsIncrementable(const WalkedEntry& entry);

// Stores a relation file that exists in the delta's base (WAL-G's
// internal/databases/postgres/pagefile.go): reads every page (checking page checksums as a full
// backup does when asked), selects the pages whose LSN is at or after `base_start_lsn` and the new
// ones, then writes WAL-G's increment under the file's own name with the walked size as the file
// size. A page that is not a PostgreSQL page stores the whole file instead, as WAL-G does
// (PackedFile::incremented tells which). nullopt when the file vanished before it was opened.
std::optional<PackedFile> PackIncrement(TarPartition& tar, const WalkedEntry& entry,
                                        const FileReadOptions& options, pg::Lsn base_start_lsn);

}  // namespace walnut
