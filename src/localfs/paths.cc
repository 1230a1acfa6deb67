#include "localfs/paths.h"

#include <cerrno>
#include <vector>

#include "common/error.h"

namespace walnut {
namespace {

// A directory made here can be removed again by a concurrent delete of its last file (a
// directory storage removes empty directories) before the next level lands in it; that many
// rounds of "create the parent, retry" settle it.
constexpr int kCreateAttempts = 8;

}  // namespace

std::string DirName(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  return slash == 0 ? "/" : std::string(path.substr(0, slash));
}

std::string BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

void CreateDirectories(LocalFs& fs, const std::string& dir, uint32_t mode, bool sync) {
  for (int attempt = 1;; ++attempt) {
    int err = fs.MakeDirectory(dir, mode);
    if (err == 0) {
      if (!sync) return;
      // The new entry in the parent must be durable too, or a crash could lose the directory
      // together with the files synced into it. ENOENT: a concurrent delete removed both again;
      // whoever creates something in `dir` finds it missing and comes back here.
      std::string parent = DirName(dir);
      if (int sync_err = fs.SyncDirectory(parent); sync_err != 0 && sync_err != ENOENT) {
        ThrowSystemError("cannot sync directory", parent, sync_err);
      }
      return;
    }
    if (err == EEXIST) return;
    if (err != ENOENT || attempt == kCreateAttempts || dir == "/" || dir == ".") {
      ThrowSystemError("cannot create directory", dir, err);
    }
    CreateDirectories(fs, DirName(dir), mode, sync);
  }
}

void SyncDirectoryOrThrow(LocalFs& fs, const std::string& dir) {
  if (int err = fs.SyncDirectory(dir)) ThrowSystemError("cannot sync directory", dir, err);
}

void RemoveTree(LocalFs& fs, const std::string& root) {
  FileStat stat;
  int err = fs.Stat(root, stat, /*follow_links=*/false);
  if (err == ENOENT) return;
  if (err != 0) ThrowSystemError("read", root, err);
  if (stat.type == FileType::kDirectory) {
    std::vector<DirectoryEntry> entries;
    err = fs.ListDirectory(root, entries);
    if (err != 0) ThrowSystemError("list", root, err);
    for (const auto& entry : entries) RemoveTree(fs, root + "/" + entry.name);
    err = fs.RemoveDirectory(root);
  } else {
    err = fs.Unlink(root);
  }
  if (err != 0 && err != ENOENT) ThrowSystemError("remove", root, err);
}

}  // namespace walnut
