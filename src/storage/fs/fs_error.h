#pragma once

#include <string>
#include <string_view>

namespace walnut {

// Throws Error for a failed file-system call: "<action> <path>: <reason>; <what to do>", e.g.
// "cannot create directory /x/y: permission denied; check that the user running walnut may write
// there". The code follows errno: kNotFound, kPermissionDenied (also for a read-only file system),
// kAlreadyExists, else kIo. Never retryable: a local failure does not go away by itself.
[[noreturn]] void ThrowFsError(std::string_view action, const std::string& path, int err);

}  // namespace walnut
