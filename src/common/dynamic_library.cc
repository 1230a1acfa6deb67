#include "common/dynamic_library.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include "common/error.h"

namespace walnut {
namespace {

std::string LastDlError() {
  const char* message = dlerror();
  return message ? message : "unknown dlopen error";
}

}  // namespace

DynamicLibrary DynamicLibrary::Open(std::string_view soname, std::string_view purpose,
                                    std::string_view debian_package) {
  std::string name(soname);
  // RTLD_LOCAL keeps its symbols out of the global scope, where they could satisfy another
  // library's lookups; RTLD_NOW reports unresolved dependencies here rather than mid-transfer.
  void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("cannot load {}, which {} needs ({}); install the Debian package {}",
                            name, purpose, LastDlError(), debian_package));
  }
  return DynamicLibrary(handle, std::move(name), std::string(debian_package));
}

void* DynamicLibrary::Symbol(const char* name) const {
  dlerror();  // clears a stale error so that the one below is ours
  void* address = dlsym(handle_, name);
  if (address == nullptr) {
    throw Error(ErrorCode::kUnsupported,
                fmt::format("{} has no function {} ({}); install a current version of the Debian "
                            "package {}",
                            soname_, name, LastDlError(), package_));
  }
  return address;
}

}  // namespace walnut
