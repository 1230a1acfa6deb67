#pragma once

namespace walnut {

// Parses the command line, runs the command, and maps errors to exit codes: 0 success,
// 1 failure, 2 bad usage or setting, 74 (wal-fetch) object absent. Never throws.
int RunCli(int argc, char** argv);

}  // namespace walnut
