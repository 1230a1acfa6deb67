#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "localfs/local_fs.h"
#include "pipeline/pipeline.h"
#include "storage/folder.h"
#include "wal/archive_identity.h"

namespace walnut {

// How one WAL file is archived.
struct WalPushFileOptions {
  PipelineOptions pipeline;
  uint64_t segment_size = 16u << 20;  // WALG_PG_WAL_SIZE
  // WALG_PREVENT_WAL_OVERWRITE: never replace an archived file with different content. Timeline
  // history files are protected whatever it says.
  bool prevent_overwrite = true;
};

enum class WalPushOutcome {
  kUploaded,         // stored now
  kAlreadyArchived,  // the archive held the same content already
};

// Archives the WAL file at `path` (read through `fs`; a segment, a .partial segment, a timeline
// history or a backup history file) as `wal_folder`/<file name>.<compression extension>,
// compressed and encrypted as `options.pipeline` says, and returns once the object is durably
// stored. Any other file is archived the same way with a warning, as WAL-G does (scripts push their
// own files), without the checks below that need WAL; refused (kInvalidArgument) only when its name
// would not read back (no file name; uncompressed under a name ending in a compression extension).
//
// Before anything is stored:
// - A segment or .partial must be exactly segment_size bytes and start with a long page header
//   that matches its name (timeline, address, segment size): never archive garbage (kCorruption).
// - Its database system must be the one the archive belongs to (`identity`, kAlreadyExists).
// - An archived object of the same name (under any compression extension) is compared with the
//   file, by the SHA-256 kept in its metadata when it has one, else by downloading and decoding
//   it: equal content is success without an upload; different content is refused
//   (kAlreadyExists) unless overwriting is allowed.
// The object carries the SHA-256 of the file (kContentSha256Metadata). The file is fingerprinted
// again (CRC-32) while it is uploaded: if it changed meanwhile, the upload is aborted
// (kCorruption).
// Other errors are those of the storage (kNetwork, kIo, ...). Nothing is visible after a failure.
// Thread-safe: several files may be pushed at once.
WalPushOutcome PushWalFile(LocalFs& fs, const Folder& wal_folder, const std::filesystem::path& path,
                           const WalPushFileOptions& options, ArchiveIdentityGuard& identity);

}  // namespace walnut
