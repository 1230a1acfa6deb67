#include "storage/locked_objects.h"

#include <algorithm>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace walnut {

void LockedObjects::Merge(const LockedObjects& other) {
  keys.insert(keys.end(), other.keys.begin(), other.keys.end());
  if (other.retain_until && (!retain_until || *other.retain_until > *retain_until)) {
    retain_until = other.retain_until;
  }
}

std::string DescribeRetainUntil(const std::optional<std::chrono::system_clock::time_point>& until) {
  if (!until) return "an unknown date";
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(*until)));
}

namespace {

std::string Message(std::string_view where, const LockedObjects& locked) {
  std::string names;
  for (size_t i = 0; i < locked.keys.size() && i < 3; ++i) {
    names += fmt::format("{}{}", i ? ", " : "", locked.keys[i]);
  }
  if (locked.keys.size() > 3) names += fmt::format(" and {} more", locked.keys.size() - 3);
  return fmt::format(
      "{}: {} object{} not deleted: locked by the bucket's Object Lock retention until {} ({})",
      where, locked.keys.size(), locked.keys.size() == 1 ? "" : "s",
      DescribeRetainUntil(locked.retain_until), names);
}

}  // namespace

ObjectsLockedError::ObjectsLockedError(std::string_view where, LockedObjects locked)
    : Error(ErrorCode::kFailedPrecondition, Message(where, locked)), locked_(std::move(locked)) {}

}  // namespace walnut
