#include "cli/this_binary.h"

#include <cerrno>

#include <unistd.h>

#include "common/error.h"
#include "localfs/local_fs.h"

namespace walnut {

std::string ThisBinary() {
  std::string path;
  int err = LocalFs::Default().ReadLink("/proc/self/exe", path);
  if (err != 0) ThrowSystemError("resolve this program's path", "/proc/self/exe", err);
  return path;
}

std::string CurrentDirectory() {
  char cwd[4096] = {};
  if (::getcwd(cwd, sizeof(cwd) - 1) == nullptr) {
    ThrowSystemError("read the current directory", ".", errno);
  }
  return cwd;
}

}  // namespace walnut
