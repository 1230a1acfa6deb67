#include "common/error.h"

#include <cctype>
#include <cstring>

#include <fmt/format.h>

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
      return "the file system is full: free some space on it";
    case EDQUOT:
      return "the user's disk quota is exhausted";
    case ENOTDIR:
      return "a component of the path is a file, not a directory";
    case EISDIR:
      return "a directory has that name";
    case EMFILE:
    case ENFILE:
      return "raise the limit on open files (ulimit -n)";
    case EFBIG:
      return "the file size limit (ulimit -f) was reached";
    case ENAMETOOLONG:
      return "use a shorter path";
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

Error SystemError(std::string_view action, std::string_view path, int err) {
  // strerror() capitalises ("Permission denied"); our messages are lowercase.
  std::string reason = std::strerror(err);
  if (!reason.empty()) {
    reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
  }
  std::string message = path.empty() ? fmt::format("{}: {}", action, reason)
                                     : fmt::format("{} {}: {}", action, path, reason);
  if (std::string_view hint = Hint(err); !hint.empty()) message += fmt::format("; {}", hint);
  return Error(CodeOf(err), message);
}

void ThrowSystemError(std::string_view action, std::string_view path, int err) {
  throw SystemError(action, path, err);
}

}  // namespace walnut
