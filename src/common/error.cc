#include "common/error.h"

#include <cstring>

#include <fmt/format.h>

namespace walnut {

void ThrowSystemError(std::string_view what, int err) {
  ErrorCode code = ErrorCode::kIo;
  if (err == ENOENT) code = ErrorCode::kNotFound;
  if (err == EACCES || err == EPERM) code = ErrorCode::kPermissionDenied;
  if (err == EEXIST) code = ErrorCode::kAlreadyExists;
  throw Error(code, fmt::format("{}: {}", what, std::strerror(err)));
}

}  // namespace walnut
