#pragma once

#include <string>
#include <string_view>

namespace walnut {

// How FsStorage maps keys to paths below its root (its temporary files are named as
// localfs/temporary_name.h says).

// Checks that `key` names a file below the root: non-empty, relative, no empty, "." or ".."
// component, no NUL byte, not ending with '/', and not a temporary-file name unless
// `allow_temporary` (Delete() removes stale temporary files). Throws kInvalidArgument naming the
// key otherwise.
void CheckFsObjectKey(std::string_view key, bool allow_temporary = false);

// Checks a List() prefix: "" or a key-like string that may end with '/' or in the middle of a
// name; the directories before its last '/' follow the rules of keys. Throws kInvalidArgument
// naming the prefix.
void CheckFsListPrefix(std::string_view prefix);

// A checked List() prefix split at its last '/': "wal_005/0000000100" lists directory "wal_005/"
// for the names starting with "0000000100". name_prefix points into the prefix given.
struct FsListScope {
  std::string dir_key;
  std::string_view name_prefix;
};
FsListScope SplitFsListPrefix(std::string_view prefix);

}  // namespace walnut
