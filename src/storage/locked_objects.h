#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace walnut {

// Objects a delete could not remove because the storage keeps them under a retention (S3 Object
// Lock): they stay until `retain_until`, whatever anyone asks.
struct LockedObjects {
  std::vector<std::string> keys;  // relative to the storage root
  // The latest retention end the storage told (it is asked about a few of the keys, not every
  // one); nullopt when it did not say.
  std::optional<std::chrono::system_clock::time_point> retain_until;

  bool empty() const { return keys.empty(); }
  // Adds `other`'s keys; keeps the later retention end.
  void Merge(const LockedObjects& other);
};

// Thrown by Storage::Delete (and DeleteVersions) after it deleted every key it could, when some
// were locked: the caller counts them and goes on, or lets it end the command (kFailedPrecondition:
// refused as things stand). The message names the first keys and the retention end.
class ObjectsLockedError : public Error {
 public:
  ObjectsLockedError(std::string_view where, LockedObjects locked);
  const LockedObjects& locked() const { return locked_; }

 private:
  LockedObjects locked_;
};

// "2026-12-14T05:00:00Z", or "an unknown date" when not known.
std::string DescribeRetainUntil(const std::optional<std::chrono::system_clock::time_point>& until);

}  // namespace walnut
