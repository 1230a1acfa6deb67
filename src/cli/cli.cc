#include "cli/cli.h"

namespace walnut {

int RunCli(int, char**) { return 0; }

}  // namespace walnut
