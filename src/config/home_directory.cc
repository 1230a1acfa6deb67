#include "config/home_directory.h"

#include <vector>

#include <pwd.h>
#include <unistd.h>

namespace walnut {

std::string HomeDirectory(const Environment& env) {
  if (auto it = env.find("HOME"); it != env.end() && !it->second.empty()) return it->second;
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<size_t>(size) : 16384);
  passwd entry{};
  passwd* result = nullptr;
  if (::getpwuid_r(::geteuid(), &entry, buffer.data(), buffer.size(), &result) == 0 &&
      result != nullptr && result->pw_dir != nullptr) {
    return result->pw_dir;
  }
  return "";
}

}  // namespace walnut
