#include "storage/fs/fs_key.h"

#include <fmt/format.h>

#include "common/error.h"
#include "localfs/temporary_name.h"

namespace walnut {
namespace {

// Checks every '/'-separated component of `path`; an empty last component is allowed when
// `allow_empty_last`.
void CheckComponents(std::string_view path, std::string_view what, bool allow_empty_last) {
  if (path.find('\0') != std::string_view::npos) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("{} contains a NUL byte", what));
  }
  if (!path.empty() && path.front() == '/') {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} must be relative to the storage root, not start with '/'", what));
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    bool last = end == std::string_view::npos;
    if (last) end = path.size();
    std::string_view component = path.substr(start, end - start);
    if (component.empty() && !(last && allow_empty_last)) {
      throw Error(ErrorCode::kInvalidArgument, fmt::format("{} has an empty path component", what));
    }
    if (component == "." || component == "..") {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{} must not contain '.' or '..' components: they could leave the "
                              "storage root",
                              what));
    }
    if (last) break;
    start = end + 1;
  }
}

}  // namespace

void CheckFsObjectKey(std::string_view key, bool allow_temporary) {
  std::string what = fmt::format("object key '{}'", key);
  if (key.empty()) throw Error(ErrorCode::kInvalidArgument, "object key is empty");
  if (key.back() == '/') {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("{} ends with '/'", what));
  }
  CheckComponents(key, what, /*allow_empty_last=*/false);
  size_t slash = key.rfind('/');
  std::string_view name = slash == std::string_view::npos ? key : key.substr(slash + 1);
  if (!allow_temporary && IsTemporaryName(name)) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} uses a name reserved for temporary files", what));
  }
}

void CheckFsListPrefix(std::string_view prefix) {
  std::string what = fmt::format("list prefix '{}'", prefix);
  if (prefix.find('\0') != std::string_view::npos) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("{} contains a NUL byte", what));
  }
  // Only the directories before the last '/' are opened; the rest only filters names, so "."
  // or ".." there is harmless ("wal_005/." lists names starting with a dot).
  size_t slash = prefix.rfind('/');
  if (slash == std::string_view::npos) return;
  CheckComponents(prefix.substr(0, slash), what, /*allow_empty_last=*/false);
}

FsListScope SplitFsListPrefix(std::string_view prefix) {
  CheckFsListPrefix(prefix);
  size_t slash = prefix.rfind('/');
  if (slash == std::string_view::npos) return {"", prefix};
  return {std::string(prefix.substr(0, slash + 1)), prefix.substr(slash + 1)};
}

}  // namespace walnut
