#pragma once

#include <optional>
#include <string>

namespace walnut::pg {

class PgConnection;

// How a server is set to archive its WAL. A setting the connected role may not read (pg_settings
// hides superuser-only ones from roles without pg_read_all_settings) is nullopt.
struct ArchiveSettings {
  std::optional<std::string> mode;     // archive_mode: "off", "on" or "always"
  std::optional<std::string> command;  // archive_command ("" when unset)
  std::optional<std::string> library;  // archive_library (PostgreSQL 15+; "" when unset or older)
  bool in_recovery = false;            // a standby (or a server in archive recovery)
};

// Reads the archive settings in one query; throws kProtocol when the server refuses it.
ArchiveSettings ReadArchiveSettings(PgConnection& conn);

// Why WAL written on this server now never reaches an archive, with the fix, or "" when it may
// (or when the settings cannot tell). Only a primary is judged: a standby archives nothing unless
// archive_mode is always, but its primary's archiver may well deliver the WAL to the same
// storage. A primary does not archive with archive_mode off; nor with archive_mode on, no
// archive_library and an archive_command that is empty (PostgreSQL then keeps the WAL in pg_wal
// until one is set) or a no-op such as 'true' or '/bin/true'.
std::string ArchivingGap(const ArchiveSettings& settings);

}  // namespace walnut::pg
