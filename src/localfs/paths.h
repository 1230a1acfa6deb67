#pragma once

#include <string>
#include <string_view>

#include "localfs/local_fs.h"

namespace walnut {

// The directory part of a path ("/a/b" -> "/a", "/a" -> "/", "a" -> ".").
std::string DirName(std::string_view path);
// The last component of a path ("/a/b" -> "b").
std::string BaseName(std::string_view path);

// Creates `dir` and its missing parents with `mode` (as `mkdir -p`); with `sync`, syncs each
// parent that gained an entry, so the new directories survive a crash. An existing `dir` is fine
// (an existing file of that name shows up when something is created in it). Copes with a
// concurrent removal of a parent it just created. Throws Error naming the directory.
void CreateDirectories(LocalFs& fs, const std::string& dir, uint32_t mode, bool sync);

// Removes `root` and everything below it, not following symlinks; an absent `root` is fine.
// Throws SystemError naming what could not be removed.
void RemoveTree(LocalFs& fs, const std::string& root);

// Syncs `dir` (see LocalFs::SyncDirectory); throws Error naming it.
void SyncDirectoryOrThrow(LocalFs& fs, const std::string& dir);

}  // namespace walnut
