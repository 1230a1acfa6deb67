#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "localfs/local_fs.h"
#include "localfs/paths.h"  // RemoveTree

namespace walnut::drill {

// `dir` made ready for a drill: created (0700) when missing, refused (kInvalidArgument naming
// --dir) when it exists and is not an empty directory. "" makes a fresh walnut-drill-XXXXXX under
// $TMPDIR (or /tmp). Returns the directory's path.
std::string PrepareScratchDir(LocalFs& fs, const std::string& dir);

// Walks `root` (not following symlinks), calling `visit(path, stat)` for `root` and everything
// below it, parents before children.
void WalkTree(LocalFs& fs, const std::string& root,
              const std::function<void(const std::string&, const FileStat&)>& visit);

// Writes `content` to a new file `path` with `mode` (O_EXCL: never through an existing file).
void WriteNewFile(LocalFs& fs, const std::string& path, const std::string& content, uint32_t mode);

// Reads a file a line at a time (without the newline), in bounded memory: a line longer than
// 64 KiB comes in parts.
class LineReader {
 public:
  // Throws SystemError naming `what` and `path` when the file cannot be opened.
  LineReader(LocalFs& fs, const std::string& path, std::string_view what);
  // The next line; false at the end.
  bool Next(std::string& line);

 private:
  LocalFile file_;
  std::string buffer_;
  size_t start_ = 0;
  bool eof_ = false;
};

// Calls `on_line` for each line of the file at `path` (without the newline), reading it in pieces
// (a line longer than 64 KiB comes in parts). Returns false when the file cannot be opened.
bool ForEachLine(LocalFs& fs, const std::string& path,
                 const std::function<void(std::string_view)>& on_line);

}  // namespace walnut::drill
