#pragma once

#include <exception>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace walnut {

// A shared library opened with dlopen(RTLD_NOW | RTLD_LOCAL) when a feature first needs it, so
// processes that never use the feature do not load it and its dependencies (libcurl alone pulls
// in about 30 libraries). The library stays loaded until the process exits: its functions may be
// in use by any thread until then. Copyable; copies share the handle.
class DynamicLibrary {
 public:
  // Opens `soname` (e.g. "libcurl.so.4"). Throws Error(kNotFound) naming the library, what needs
  // it (`purpose`, e.g. "S3 storage") and the Debian package that provides it.
  static DynamicLibrary Open(std::string_view soname, std::string_view purpose,
                             std::string_view debian_package);

  // The address of the function `name`; throws Error(kUnsupported) naming the symbol and the
  // library when it is missing (an older version than the one we were built against).
  void* Symbol(const char* name) const;

  // Symbol(name) as a function pointer of the type of `F` (use decltype(&function)).
  template <typename F>
  void Load(F& function, const char* name) const {
    function = reinterpret_cast<F>(Symbol(name));
  }

  const std::string& soname() const { return soname_; }

 private:
  DynamicLibrary(void* handle, std::string soname, std::string package)
      : handle_(handle), soname_(std::move(soname)), package_(std::move(package)) {}

  void* handle_;
  std::string soname_;
  std::string package_;
};

// The result of `Load` (which typically opens a library and resolves its functions), computed on
// the first call and returned by every later one. Thread-safe. If the first call threw, every
// call throws the same exception: a missing library does not appear later.
template <typename T, T (*Load)()>
const T& LoadOnce() {
  static std::once_flag once;
  static T value;
  static std::exception_ptr failure;
  std::call_once(once, [] {
    try {
      value = Load();
    } catch (...) {
      failure = std::current_exception();
    }
  });
  if (failure) std::rethrow_exception(failure);
  return value;
}

}  // namespace walnut
