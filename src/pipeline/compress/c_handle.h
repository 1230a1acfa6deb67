#pragma once

#include <memory>

namespace walnut {

// Calls a C library's free function; makes `std::unique_ptr<T, CFree<&T_free>>` an RAII handle.
// The function's return value (some free functions return a status) is of no use at that point.
template <auto kFree>
struct CFree {
  template <typename T>
  void operator()(T* handle) const noexcept {
    static_cast<void>(kFree(handle));
  }
};

template <typename T, auto kFree>
using CHandle = std::unique_ptr<T, CFree<kFree>>;

}  // namespace walnut
