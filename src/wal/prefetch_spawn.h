#pragma once

#include <string>
#include <vector>

#include "localfs/local_fs.h"

namespace walnut::wal {

// The arguments that carry this process's command-line settings to a child, as WAL-G passes
// them to its prefetcher: --config FILE and every setting flag (--walg-s3-prefix=...), read back
// from /proc/self/cmdline (through `fs`). Settings from the environment reach the child by
// inheritance.
std::vector<std::string> InheritedSettingArgs(LocalFs& fs);

// Starts `/proc/self/exe args...` detached: a session of its own, standard streams on /dev/null,
// no other descriptor inherited, default signal handling, and not waited for (PostgreSQL waits for
// restore_command only, never for this child). Throws kIo when it cannot be started.
void StartDetached(const std::vector<std::string>& args);

}  // namespace walnut::wal
