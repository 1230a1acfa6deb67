#include "localfs/temporary_name.h"

#include <random>

#include <fmt/format.h>

namespace walnut {
namespace {

constexpr std::string_view kTemporaryMarker = ".walnut-tmp-";
// NAME_MAX is 255; the marker and 16 hex digits take 28 of them, plus the leading dot.
constexpr size_t kMaxNameInTemporary = 200;

}  // namespace

std::string MakeTemporaryName(std::string_view file_name) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format(".{}{}{:016x}", file_name.substr(0, kMaxNameInTemporary), kTemporaryMarker,
                     rng());
}

bool IsTemporaryName(std::string_view file_name) {
  return file_name.size() > 1 && file_name.front() == '.' &&
         file_name.find(kTemporaryMarker) != std::string_view::npos;
}

}  // namespace walnut
