#include "pipeline/content_checksum.h"

#include <set>

#include <fmt/format.h>

#include "common/mutex.h"
#include "common/logging.h"

namespace walnut {
namespace {

// Enough of a digest to tell two apart in a message without a 150-character line.
std::string_view Short(std::string_view hex) { return hex.substr(0, 16); }

}  // namespace

void WarnUnverified(const std::string& object, const std::string& why) {
  static Mutex mu;
  static std::set<std::string> warned GUARDED_BY(mu);
  {
    MutexLock lock(mu);
    if (!warned.insert(object).second) return;
  }
  spdlog::warn("{}: {}", object, why);
}

Error ChecksumMismatch(std::string_view object, std::string_view recorded,
                       std::string_view actual) {
  std::string message = fmt::format(
      "content does not match its recorded SHA-256 (recorded {}..., read {}...): the object is "
      "damaged; replace it from another copy of the archive",
      Short(recorded), Short(actual));
  if (!object.empty()) message = fmt::format("{}: {}", object, message);
  return Error(ErrorCode::kCorruption, message);
}

}  // namespace walnut
