#pragma once

#include <string>
#include <string_view>

namespace walnut {

// What the build recorded (src/cli/version.cc.in, filled in at every build): the project version
// ("0.1.0"), the git revision built ("1a2b3c4", "unknown" outside git) and that revision's commit
// date in WAL-G's layout ("2025.01.31_12:00:00").
std::string_view BuildVersion();
std::string_view BuildRevision();
std::string_view BuildDate();

// The --version text for the program name the binary was called by (argv[0], any directory).
// As `wal-g`: WAL-G's line, "wal-g version v<version>\t<revision>\t<date>\tPostgreSQL", so that
// scripts parsing WAL-G's version keep working. Otherwise Walnut's own, which also says what it
// is a drop-in for. No trailing newline.
std::string VersionText(std::string_view argv0);

}  // namespace walnut
