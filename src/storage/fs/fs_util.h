#pragma once

#include <string>

namespace walnut {

// The directory part of an absolute path ("/a/b" -> "/a", "/a" -> "/").
std::string DirName(const std::string& path);
// The last component of a path ("/a/b" -> "b").
std::string BaseName(const std::string& path);
// fsync()s a directory, so that entries created, renamed or removed in it survive a crash.
// Returns 0 or the errno of the failing call.
int SyncDirectory(const std::string& dir);

}  // namespace walnut
