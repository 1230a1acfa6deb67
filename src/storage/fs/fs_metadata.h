#pragma once

#include <map>
#include <string>

namespace walnut {

// How FsStorage keeps an object's user metadata (PutOptions::metadata): one extended attribute
// "user.walnut.<name>" per entry on the object's file. Written on the temporary file before the
// rename, so the object and its metadata appear together.

// Sets the attributes on an open file. A file system without user extended attributes (ENOTSUP,
// e.g. some network file systems) keeps none: metadata is best effort, readers cope without it.
// Returns whether the attributes were kept. Throws kIo naming `path` on any other failure
// (ENOSPC, a value too large).
bool WriteFsMetadata(int fd, const std::string& path,
                     const std::map<std::string, std::string>& metadata);

// The metadata on the file at `path` (symlinks followed); empty when there is none or the file
// system keeps none. Throws kIo naming `path` on a read error.
std::map<std::string, std::string> ReadFsMetadata(const std::string& path);
// Removes one entry from an open file; best effort (an absent entry or a failure is ignored).
void RemoveFsMetadata(int fd, const std::string& name);

// The same for an open file (`path` is for messages): the metadata of exactly the file being read.
std::map<std::string, std::string> ReadFsMetadata(int fd, const std::string& path);

}  // namespace walnut
