#pragma once

#include <map>
#include <string>

namespace walnut {

// User metadata of a local file: one extended attribute "user.walnut.<name>" per entry. FsStorage
// keeps an object's PutOptions::metadata so (written on the temporary file before the rename, so
// the object and its metadata appear together), and the WAL prefetcher its marks.

// Sets the attributes on an open file. A file system without user extended attributes (ENOTSUP,
// e.g. some network file systems) keeps none: metadata is best effort, readers cope without it.
// Returns whether the attributes were kept. Throws kIo naming `path` on any other failure
// (ENOSPC, a value too large).
bool WriteFileMetadata(int fd, const std::string& path,
                     const std::map<std::string, std::string>& metadata);

// The metadata on the file at `path` (symlinks followed); empty when there is none or the file
// system keeps none. Throws kIo naming `path` on a read error.
std::map<std::string, std::string> ReadFileMetadata(const std::string& path);
// Removes one entry from an open file; best effort (an absent entry or a failure is ignored).
void RemoveFileMetadata(int fd, const std::string& name);

// The same for an open file (`path` is for messages): the metadata of exactly the file being read.
std::map<std::string, std::string> ReadFileMetadata(int fd, const std::string& path);

}  // namespace walnut
