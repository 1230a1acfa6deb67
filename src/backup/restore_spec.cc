#include "backup/restore_spec.h"

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "common/error.h"
#include "localfs/local_file_reader.h"
#include "localfs/paths.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;

// A restore spec names a few tablespaces; anything near this is not one.
constexpr size_t kMaxRestoreSpecSize = 1 << 20;

}  // namespace

void PrepareEmptyDirectory(LocalFs& local, const fs::path& dir, const std::string& what,
                           bool fsync) {
  FileStat stat;
  int err = local.Stat(dir.string(), stat, /*follow_links=*/true);
  if (err == 0) {
    if (stat.type != FileType::kDirectory) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{} {} exists and is not a directory", what, dir.string()));
    }
    std::vector<DirectoryEntry> entries;
    if (int list_err = local.ListDirectory(dir.string(), entries)) {
      ThrowSystemError("cannot read directory", dir.string(), list_err);
    }
    if (!entries.empty()) {
      throw Error(
          ErrorCode::kAlreadyExists,
          fmt::format("{} {} is not empty; backup-fetch restores only into an empty or missing "
                      "directory",
                      what, dir.string()));
    }
    return;
  }
  if (err != ENOENT) ThrowSystemError(fmt::format("cannot examine {}", what), dir.string(), err);
  fs::path parent = dir.parent_path();
  if (!parent.empty()) CreateDirectories(local, parent.string(), 0777, fsync);
  if (int mkdir_err = local.MakeDirectory(dir.string(), 0700)) {
    ThrowSystemError(fmt::format("cannot create {}", what), dir.string(), mkdir_err);
  }
  // mkdir applies the umask; PostgreSQL wants exactly 0700 (or 0750).
  if (int chmod_err = local.SetMode(dir.string(), 0700)) {
    ThrowSystemError("cannot set the mode of", dir.string(), chmod_err);
  }
  if (fsync) SyncDirectoryOrThrow(local, parent.empty() ? "." : parent.string());
}

void ValidateTablespaceSpec(const TablespaceSpec& spec, const std::string& source) {
  for (const std::string& name : spec.names) {
    auto it = spec.locations.find(name);
    if (it == spec.locations.end()) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: tablespace {} has no location entry", source, name));
    }
    bool digits = !name.empty() && std::all_of(name.begin(), name.end(),
                                               [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: tablespace name '{}' is not an OID", source, name));
    }
    const TablespaceLocation& location = it->second;
    std::string link = location.symlink;
    while (!link.empty() && link.back() == '/') link.pop_back();
    if (link != "pg_tblspc/" + name && link != "/pg_tblspc/" + name) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: tablespace {} has link '{}'; expected pg_tblspc/{}", source,
                              name, location.symlink, name));
    }
    if (location.location.empty() || location.location[0] != '/') {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: tablespace {} has location '{}'; it must be an absolute path",
                              source, name, location.location));
    }
  }
}

TablespaceSpec ReadRestoreSpec(LocalFs& local, const std::string& path) {
  std::string text = ReadSmallFile(local, path, kMaxRestoreSpecSize, "restore spec");
  TablespaceSpec spec;
  try {
    spec = ParseTablespaceSpec(text, path);
  } catch (const Error& e) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("restore spec {}: {}", path, e.what()));
  }
  ValidateTablespaceSpec(spec, fmt::format("restore spec {}", path));
  return spec;
}

void PrepareTablespaces(LocalFs& local, const fs::path& target, const TablespaceSpec& spec,
                        bool fsync) {
  if (spec.names.empty()) return;
  fs::path links = target / "pg_tblspc";
  if (int err = local.MakeDirectory(links.string(), 0700); err != 0 && err != EEXIST) {
    ThrowSystemError("cannot create", links.string(), err);
  }
  for (const std::string& name : spec.names) {
    const TablespaceLocation& location = spec.locations.at(name);
    PrepareEmptyDirectory(local, location.location, fmt::format("tablespace {} location", name),
                          fsync);
    fs::path link = links / name;
    if (int err = local.Symlink(location.location, link.string())) {
      ThrowSystemError("cannot create the tablespace link",
                       fmt::format("{} -> {}", link.string(), location.location), err);
    }
  }
  if (fsync) {
    SyncDirectoryOrThrow(local, links.string());
    SyncDirectoryOrThrow(local, target.string());
  }
}

}  // namespace walnut
