#include "common/error.h"

#include <cstring>

#include <fmt/format.h>

namespace walnut {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kAlreadyExists: return "already exists";
    case ErrorCode::kPermissionDenied: return "permission denied";
    case ErrorCode::kIo: return "i/o error";
    case ErrorCode::kNetwork: return "network error";
    case ErrorCode::kProtocol: return "protocol error";
    case ErrorCode::kCorruption: return "corruption";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kFailedPrecondition: return "refused";
    case ErrorCode::kInternal: return "internal error";
  }
  return "error";
}

void ThrowSystemError(std::string_view what, int err) {
  ErrorCode code = ErrorCode::kIo;
  if (err == ENOENT) code = ErrorCode::kNotFound;
  if (err == EACCES || err == EPERM) code = ErrorCode::kPermissionDenied;
  if (err == EEXIST) code = ErrorCode::kAlreadyExists;
  throw Error(code, fmt::format("{}: {}", what, std::strerror(err)));
}

}  // namespace walnut
