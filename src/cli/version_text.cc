#include <fmt/format.h>

#include "cli/version.h"

namespace walnut {

std::string VersionText(std::string_view argv0) {
  std::string_view program = argv0.substr(argv0.find_last_of('/') + 1);
  if (program == "wal-g") {
    // cobra's "<name> version <Version>" with WAL-G's Version: tag, revision, date, database.
    return fmt::format("wal-g version v{}\t{}\t{}\tPostgreSQL", BuildVersion(), BuildRevision(),
                       BuildDate());
  }
  return fmt::format(
      "walnut version {}\t{}\t{}\tPostgreSQL\n"
      "Walnut is a drop-in for WAL-G (PostgreSQL); called as wal-g it prints WAL-G's version line",
      BuildVersion(), BuildRevision(), BuildDate());
}

}  // namespace walnut
