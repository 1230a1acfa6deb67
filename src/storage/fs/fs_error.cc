#include "storage/fs/fs_error.h"

#include <cctype>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/error.h"

namespace walnut {
namespace {

std::string_view Hint(int err) {
  switch (err) {
    case EACCES:
    case EPERM:
      return "check that the user running walnut may access it";
    case EROFS:
      return "the file system is mounted read-only";
    case ENOSPC:
      return "free some space on that file system";
    case EDQUOT:
      return "the user's disk quota is exhausted";
    case ENOTDIR:
      return "a component of the path is a file, not a directory";
    case EISDIR:
      return "a directory has that name (a file system cannot hold both 'x' and 'x/...')";
    case EMFILE:
    case ENFILE:
      return "raise the limit on open files (ulimit -n)";
    case EFBIG:
      return "the file size limit (ulimit -f) was reached";
    case ENAMETOOLONG:
      return "use a shorter storage path or object name";
    default:
      return {};
  }
}

ErrorCode CodeOf(int err) {
  switch (err) {
    case ENOENT:
      return ErrorCode::kNotFound;
    case EACCES:
    case EPERM:
    case EROFS:
      return ErrorCode::kPermissionDenied;
    case EEXIST:
      return ErrorCode::kAlreadyExists;
    default:
      return ErrorCode::kIo;
  }
}

}  // namespace

void ThrowFsError(std::string_view action, const std::string& path, int err) {
  // strerror() capitalises ("Permission denied"); our messages are lowercase.
  std::string reason = std::strerror(err);
  if (!reason.empty()) {
    reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
  }
  std::string_view hint = Hint(err);
  std::string message = fmt::format("{} {}: {}", action, path, reason);
  if (!hint.empty()) message += fmt::format("; {}", hint);
  throw Error(CodeOf(err), message);
}

}  // namespace walnut
