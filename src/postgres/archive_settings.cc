#include "postgres/archive_settings.h"

#include <array>
#include <string_view>

#include <fmt/format.h>

#include "common/error.h"
#include "postgres/pg_connection.h"

namespace walnut::pg {
namespace {

// Commands that succeed without storing anything: how archiving is often switched off for a
// while without a restart.
bool IsNoOpCommand(std::string_view command) {
  constexpr std::string_view kSpace = " \t\r\n";
  size_t first = command.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return false;  // empty: judged on its own
  command = command.substr(first, command.find_last_not_of(kSpace) - first + 1);
  static constexpr std::array<std::string_view, 5> kNoOps = {"true", "/bin/true", "/usr/bin/true",
                                                             ":", "exit 0"};
  for (std::string_view no_op : kNoOps) {
    if (command == no_op) return true;
  }
  return false;
}

bool IsBlank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

ArchiveSettings ReadArchiveSettings(PgConnection& conn) {
  // pg_settings, not current_setting(): a setting the role may not read is a missing row here
  // instead of an error.
  QueryResult result = conn.Query(
      "SELECT name, setting FROM pg_settings WHERE name IN ('archive_mode', 'archive_command', "
      "'archive_library') UNION ALL SELECT 'in_recovery', pg_is_in_recovery()::text");
  ArchiveSettings settings;
  for (const auto& row : result.rows) {
    if (row.size() != 2 || !row[0]) continue;
    const std::string& name = *row[0];
    const std::string value = row[1].value_or("");
    if (name == "archive_mode") {
      settings.mode = value;
    } else if (name == "archive_command") {
      settings.command = value;
    } else if (name == "archive_library") {
      settings.library = value;
    } else if (name == "in_recovery") {
      settings.in_recovery = value == "true";
    }
  }
  // Before PostgreSQL 15 there is no archive_library: the command is the only way.
  if (!settings.library && conn.server_version() < 150000) settings.library = "";
  return settings;
}

std::string ArchivingGap(const ArchiveSettings& s) {
  if (s.in_recovery || !s.mode) return "";
  if (*s.mode == "off") {
    return "archive_mode is off on the server, so the WAL a backup needs is never archived and "
           "the backup could not be restored: set archive_mode = on (a restart) and "
           "archive_command = 'wal-g wal-push %p'";
  }
  if (!s.command || !s.library || !IsBlank(*s.library)) return "";
  if (IsBlank(*s.command)) {
    return "archive_mode is on but archive_command is empty (and no archive_library is set): "
           "PostgreSQL keeps the WAL in pg_wal without archiving it, so the backup could not be "
           "restored: set archive_command = 'wal-g wal-push %p' (a reload is enough)";
  }
  if (IsNoOpCommand(*s.command)) {
    return fmt::format(
        "archive_command is '{}', which archives nothing, so the backup could not be restored: "
        "set archive_command = 'wal-g wal-push %p' (a reload is enough)",
        *s.command);
  }
  return "";
}

}  // namespace walnut::pg
