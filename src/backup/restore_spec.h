#pragma once

#include <filesystem>
#include <string>

#include "backup/backup_metadata.h"
#include "localfs/local_fs.h"

namespace walnut {

// Tablespaces on restore (WAL-G's internal/databases/postgres/extract_provider_with_spec.go): the
// backup's Spec, or backup-fetch --restore-spec FILE (the same JSON shape) to put them elsewhere.

// Reads and validates a --restore-spec file. Throws kNotFound / kIo naming the file, or
// kInvalidArgument naming the file and what is wrong.
TablespaceSpec ReadRestoreSpec(LocalFs& fs, const std::string& path);

// Checks that every tablespace of `spec` has a link "pg_tblspc/<name>" (digits) and an absolute
// location. Throws kInvalidArgument (`source` names the spec in the message).
void ValidateTablespaceSpec(const TablespaceSpec& spec, const std::string& source);

// Creates each tablespace's location (missing parents too; the location itself with mode 0700)
// and the symlink <target>/pg_tblspc/<name> pointing to it, so that the backup's
// pg_tblspc/<name>/... entries are written there. A location that exists must be an empty
// directory: a restore never mixes its files with another cluster's. (WAL-G creates the links
// below the spec's base_prefix; Walnut below the restore target, where PostgreSQL will look.)
void PrepareTablespaces(LocalFs& fs, const std::filesystem::path& target,
                        const TablespaceSpec& spec, bool fsync);

// Creates `dir` (mode 0700, missing parents too) or checks that it is an empty directory.
// Throws kAlreadyExists for a non-empty directory, kInvalidArgument for a non-directory.
// `what` names the directory's role in messages ("target directory").
void PrepareEmptyDirectory(LocalFs& fs, const std::filesystem::path& dir, const std::string& what,
                           bool fsync);

}  // namespace walnut
