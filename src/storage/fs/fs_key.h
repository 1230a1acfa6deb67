#pragma once

#include <string>
#include <string_view>

namespace walnut {

// How FsStorage maps keys to paths below its root, and names its temporary files.

// Checks that `key` names a file below the root: non-empty, relative, no empty, "." or ".."
// component, no NUL byte, not ending with '/', and not a temporary-file name. Throws
// kInvalidArgument naming the key otherwise.
void CheckFsObjectKey(std::string_view key);

// Checks a List() prefix: "" or a key-like string that may end with '/' or in the middle of a
// name; the directories before its last '/' follow the rules of keys. Throws kInvalidArgument
// naming the prefix.
void CheckFsListPrefix(std::string_view prefix);

// A name for the temporary file that becomes `file_name` on commit:
// ".<file_name>.walnut-tmp-<random>" in the same directory, so the final rename() is atomic. Long
// names are shortened to stay below NAME_MAX.
std::string MakeTemporaryName(std::string_view file_name);

// Whether a directory entry is a temporary file (ours, possibly left by a crash): List() never
// reports those.
bool IsTemporaryName(std::string_view file_name);

}  // namespace walnut
