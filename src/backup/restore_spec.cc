#include "backup/restore_spec.h"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>

#include <dirent.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "storage/fs/fs_util.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;

bool IsEmptyDirectory(const fs::path& dir) {
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) ThrowSystemError(fmt::format("cannot read directory {}", dir.string()));
  bool empty = true;
  errno = 0;
  while (const dirent* entry = ::readdir(handle)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") {
      empty = false;
      break;
    }
  }
  ::closedir(handle);
  return empty;
}

void SyncOrThrow(const fs::path& dir) {
  if (int err = SyncDirectory(dir.string()); err != 0) {
    ThrowSystemError(fmt::format("cannot sync directory {}", dir.string()), err);
  }
}

}  // namespace

void PrepareEmptyDirectory(const fs::path& dir, const std::string& what, bool fsync) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{} {} exists and is not a directory", what, dir.string()));
    }
    if (!IsEmptyDirectory(dir)) {
      throw Error(
          ErrorCode::kAlreadyExists,
          fmt::format("{} {} is not empty; backup-fetch restores only into an empty or missing "
                      "directory",
                      what, dir.string()));
    }
    return;
  }
  if (errno != ENOENT) ThrowSystemError(fmt::format("cannot examine {} {}", what, dir.string()));
  fs::path parent = dir.parent_path();
  std::error_code ec;
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec) {
    throw Error(ErrorCode::kIo, fmt::format("cannot create {}: {}", parent.string(), ec.message()));
  }
  if (::mkdir(dir.c_str(), 0700) != 0) {
    ThrowSystemError(fmt::format("cannot create {} {}", what, dir.string()));
  }
  // mkdir applies the umask; PostgreSQL wants exactly 0700 (or 0750).
  if (::chmod(dir.c_str(), 0700) != 0)
    ThrowSystemError(fmt::format("cannot chmod {}", dir.string()));
  if (fsync) SyncOrThrow(parent.empty() ? fs::path(".") : parent);
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

TablespaceSpec ReadRestoreSpec(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ThrowSystemError(fmt::format("cannot read restore spec {}", path));
  std::stringstream text;
  text << in.rdbuf();
  TablespaceSpec spec;
  try {
    spec = ParseTablespaceSpec(text.str(), path);
  } catch (const Error& e) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("restore spec {}: {}", path, e.what()));
  }
  ValidateTablespaceSpec(spec, fmt::format("restore spec {}", path));
  return spec;
}

void PrepareTablespaces(const fs::path& target, const TablespaceSpec& spec, bool fsync) {
  if (spec.names.empty()) return;
  fs::path links = target / "pg_tblspc";
  if (::mkdir(links.c_str(), 0700) != 0 && errno != EEXIST) {
    ThrowSystemError(fmt::format("cannot create {}", links.string()));
  }
  for (const std::string& name : spec.names) {
    const TablespaceLocation& location = spec.locations.at(name);
    PrepareEmptyDirectory(location.location, fmt::format("tablespace {} location", name), fsync);
    fs::path link = links / name;
    if (::symlink(location.location.c_str(), link.c_str()) != 0) {
      ThrowSystemError(fmt::format("cannot create the tablespace link {} -> {}", link.string(),
                                   location.location));
    }
  }
  if (fsync) {
    SyncOrThrow(links);
    SyncOrThrow(target);
  }
}

}  // namespace walnut
