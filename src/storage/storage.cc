#include "storage/storage.h"

#include <fmt/format.h>

#include "common/error.h"

namespace walnut {

namespace {

Error NoVersions(const Storage& storage) {
  return Error(ErrorCode::kUnsupported,
               fmt::format("{} keeps no object versions: --all-versions and --version-id apply "
                           "to S3 buckets only",
                           storage.Describe()));
}

}  // namespace

void Storage::ListVersions(std::string_view /*prefix*/,
                           const std::function<void(const ObjectVersion&)>& /*fn*/) {
  throw NoVersions(*this);
}

void Storage::DeleteVersions(std::span<const ObjectVersion> /*versions*/) {
  throw NoVersions(*this);
}

}  // namespace walnut
