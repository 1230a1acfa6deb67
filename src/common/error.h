#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <string_view>

namespace walnut {

// What went wrong, coarsely; main() maps it to an exit code.
enum class ErrorCode {
  kInvalidArgument,   // a bad setting, flag or argument: the user can fix it
  kNotFound,          // an object, file or backup that does not exist
  kAlreadyExists,
  kPermissionDenied,
  kIo,                // local file-system failure
  kNetwork,           // connection, timeout, TLS
  kProtocol,          // a server answered something we did not expect
  kCorruption,        // bytes read back do not decode or do not match their checksum
  kUnsupported,
  kCancelled,
  kFailedPrecondition,  // refused as things stand (a permanent backup, a dependent delta)
  kInternal,
};

// The one exception type of Walnut. Messages start lowercase, have no trailing period, and name
// the object, file, host or setting concerned. `retryable` marks transient failures (HTTP 5xx/429,
// resets, timeouts): only common/retry.h acts on it.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, bool retryable = false)
      : std::runtime_error(message), code_(code), retryable_(retryable) {}

  ErrorCode code() const noexcept { return code_; }
  bool retryable() const noexcept { return retryable_; }

 private:
  ErrorCode code_;
  bool retryable_;
};

// The one way a failed system call becomes an Error. The message reads "<action> <path>:
// <reason>; <what to do>", e.g. "cannot create directory /x/y: permission denied; check that the
// user running walnut may access it" (no hint where there is nothing to suggest; no path when
// `path` is empty). The code follows errno: ENOENT kNotFound; EACCES, EPERM and EROFS
// kPermissionDenied; EEXIST kAlreadyExists; anything else kIo (ENOSPC with a hint to free space).
// Never retryable: a local failure does not go away by itself.
Error SystemError(std::string_view action, std::string_view path, int err);
[[noreturn]] void ThrowSystemError(std::string_view action, std::string_view path, int err = errno);

}  // namespace walnut
