#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace walnut {

using ByteSpan = std::span<std::byte>;
using ConstByteSpan = std::span<const std::byte>;
using Bytes = std::vector<std::byte>;

inline ConstByteSpan AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
inline ByteSpan AsWritableBytes(std::string& s) {
  return {reinterpret_cast<std::byte*>(s.data()), s.size()};
}
inline std::string_view AsChars(ConstByteSpan b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

constexpr size_t operator""_KiB(unsigned long long n) { return static_cast<size_t>(n) << 10; }
constexpr size_t operator""_MiB(unsigned long long n) { return static_cast<size_t>(n) << 20; }

}  // namespace walnut
