#include "backup/pgdata_walker.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>

#include "common/error.h"
#include "common/logging.h"
#include "postgres/page_checksum.h"

namespace walnut {
namespace {

// Directories whose contents PostgreSQL removes, recreates or does not need at startup: the
// directory itself is kept (its permissions matter), its contents are not. By basename anywhere
// in the tree, as WAL-G's ExcludedFilenames (log, pg_log and pg_xlog are WAL-G's; the rest are
// pg_basebackup's excludeDirContents plus pg_wal and pgsql_tmp).
constexpr std::array<std::string_view, 12> kContentsExcludedDirs = {
    "log",         "pg_log",    "pg_xlog",     "pg_wal",       "pg_dynshmem", "pg_notify",
    "pg_replslot", "pg_serial", "pg_stat_tmp", "pg_snapshots", "pg_subtrans", "pgsql_tmp"};

// Files never stored, by basename anywhere (WAL-G's list, plus pg_basebackup's excludeFiles).
constexpr std::array<std::string_view, 7> kExcludedFiles = {
    "postgresql.auto.conf.tmp",  // ALTER SYSTEM's temporary file
    "current_logfiles.tmp",      // the log collector's temporary file
    "postmaster.pid",            // the running server's lock: a restore must not inherit it
    "postmaster.opts",
    "recovery.conf",  // WAL-G drops these: the restore decides on recovery itself
    "standby.signal",
    "backup_manifest",  // pg_basebackup's, describes another backup
};

// Only at the top of PGDATA: backup_label and tablespace_map come from pg_backup_stop() in
// backup_label.tar (a stale copy here would describe another backup); backup_label.old is
// what recovery renamed a previous one to.
constexpr std::array<std::string_view, 3> kExcludedTopLevelFiles = {
    "backup_label", "tablespace_map", "backup_label.old"};

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct RelationFileName {
  std::string_view relfilenode;
  std::string_view fork;  // "", "fsm", "vm", "init"
  uint32_t segment = 0;
};

// <relfilenode>[_<fork>][.<segment>], as PostgreSQL's parse_filename_for_nontemp_relation.
std::optional<RelationFileName> ParseRelationFileName(std::string_view name) {
  RelationFileName out;
  if (auto dot = name.find('.'); dot != std::string_view::npos) {
    std::string_view segment = name.substr(dot + 1);
    if (!AllDigits(segment) || segment.size() > 9) return std::nullopt;
    out.segment = static_cast<uint32_t>(std::stoul(std::string(segment)));
    name = name.substr(0, dot);
  }
  if (auto underscore = name.find('_'); underscore != std::string_view::npos) {
    out.fork = name.substr(underscore + 1);
    if (out.fork != "fsm" && out.fork != "vm" && out.fork != "init") return std::nullopt;
    name = name.substr(0, underscore);
  }
  if (!AllDigits(name)) return std::nullopt;
  out.relfilenode = name;
  return out;
}

// t<backend>_<relfilenode>[_fork][.segment]: a temporary relation, which no other session can
// read and which PostgreSQL removes at startup (pg_basebackup's looks_like_temp_rel_name).
bool IsTempRelationName(std::string_view name) {
  if (name.size() < 2 || name[0] != 't') return false;
  auto underscore = name.find('_');
  if (underscore == std::string_view::npos || !AllDigits(name.substr(1, underscore - 1)))
    return false;
  return ParseRelationFileName(name.substr(underscore + 1)).has_value();
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    auto slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (!part.empty()) parts.push_back(part);
    if (slash == std::string_view::npos) break;
    path = path.substr(slash + 1);
  }
  return parts;
}

// base/<oid> or pg_tblspc/<oid>/<PG_version_catalog>/<oid>: where relation files live.
bool IsDatabaseDir(std::string_view relative_dir) {
  auto parts = SplitPath(relative_dir);
  if (parts.size() == 2 && parts[0] == "base") return AllDigits(parts[1]);
  if (parts.size() == 4 && parts[0] == "pg_tblspc")
    return AllDigits(parts[1]) && AllDigits(parts[3]);
  return false;
}

// Caches uid -> user name lookups (the walk sees a handful of ids).
class NameCache {
 public:
  const std::string& User(uid_t uid) {
    auto [it, inserted] = users_.try_emplace(uid);
    if (inserted) {
      std::array<char, 4096> buffer{};
      passwd pw{};
      passwd* found = nullptr;
      if (::getpwuid_r(uid, &pw, buffer.data(), buffer.size(), &found) == 0 && found) {
        it->second = found->pw_name;
      }
    }
    return it->second;
  }
  const std::string& Group(gid_t gid) {
    auto [it, inserted] = groups_.try_emplace(gid);
    if (inserted) {
      std::array<char, 4096> buffer{};
      group gr{};
      group* found = nullptr;
      if (::getgrgid_r(gid, &gr, buffer.data(), buffer.size(), &found) == 0 && found) {
        it->second = found->gr_name;
      }
    }
    return it->second;
  }

 private:
  std::map<uid_t, std::string> users_;
  std::map<gid_t, std::string> groups_;
};

NameCache& Names() {
  static thread_local NameCache cache;
  return cache;
}

std::string JoinRelative(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : fmt::format("{}/{}", dir, name);
}

}  // namespace

std::optional<uint32_t> RelationFirstBlock(std::string_view relative_path) {
  auto parts = SplitPath(relative_path);
  if (parts.empty()) return std::nullopt;
  std::string_view top = parts[0];
  if (top != "base" && top != "global" && top != "pg_tblspc") return std::nullopt;
  auto relation = ParseRelationFileName(parts.back());
  if (!relation) return std::nullopt;
  return relation->segment * pg::kBlocksPerSegment;
}

PgDataWalker::Decision PgDataWalker::Classify(std::string_view relative_dir, std::string_view name,
                                              bool is_directory) {
  if (is_directory) {
    for (std::string_view excluded : kContentsExcludedDirs) {
      if (name == excluded) return Decision::kDirectoryOnly;
    }
    return Decision::kInclude;
  }
  for (std::string_view excluded : kExcludedFiles) {
    if (name == excluded) return Decision::kSkip;
  }
  if (relative_dir.empty()) {
    for (std::string_view excluded : kExcludedTopLevelFiles) {
      if (name == excluded) return Decision::kSkip;
    }
  }
  // Relation caches rebuilt at startup, and temporary files of sorts and hashes.
  if (name.starts_with("pg_internal.init") || name.starts_with("pgsql_tmp")) return Decision::kSkip;
  if (IsDatabaseDir(relative_dir) && IsTempRelationName(name)) return Decision::kSkip;
  return Decision::kInclude;
}

PgDataWalker::PgDataWalker(LocalFs& fs, std::string pgdata) : fs_(fs), pgdata_(std::move(pgdata)) {
  while (pgdata_.size() > 1 && pgdata_.back() == '/') pgdata_.pop_back();
  spec_.base_prefix = pgdata_;
}

void PgDataWalker::Walk(const PgDataWalkVisitor& visitor) {
  FileStat st;
  if (int err = fs_.Stat(pgdata_, st, /*follow_links=*/true)) {
    ThrowSystemError("cannot examine data directory", pgdata_, err);
  }
  if (st.type != FileType::kDirectory) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("{} is not a directory", pgdata_));
  }
  WalkDirectory(pgdata_, "", visitor);
}

void PgDataWalker::Report(const std::string& source_path, const std::string& relative_path,
                          const PgDataWalkVisitor& visitor, bool follow_link) {
  FileStat st;
  if (int err = fs_.Stat(source_path, st, follow_link)) {
    if (err == ENOENT) return;  // deleted during the walk (dropped table, finished temp file)
    ThrowSystemError("cannot stat", source_path, err);
  }
  WalkedEntry entry;
  entry.source_path = source_path;
  entry.header.name = "/" + relative_path;
  entry.header.mode = st.mode;
  entry.header.uid = st.uid;
  entry.header.gid = st.gid;
  entry.header.uname = Names().User(st.uid);
  entry.header.gname = Names().Group(st.gid);
  entry.header.mtime =
      std::chrono::floor<std::chrono::seconds>(st.mtime).time_since_epoch().count();
  entry.mtime =
      Timestamp(std::chrono::duration_cast<std::chrono::nanoseconds>(st.mtime.time_since_epoch()));

  std::string_view name = relative_path;
  if (auto slash = name.rfind('/'); slash != std::string_view::npos) name = name.substr(slash + 1);
  std::string relative_dir = relative_path.size() > name.size()
                                 ? relative_path.substr(0, relative_path.size() - name.size() - 1)
                                 : "";

  if (st.type == FileType::kSymlink) {
    // A tablespace: walk its target under pg_tblspc/<oid> and record where it lives.
    if (relative_dir == "pg_tblspc" && AllDigits(name)) {
      std::string location;
      if (int err = fs_.ReadLink(source_path, location)) {
        ThrowSystemError("cannot read tablespace link", source_path, err);
      }
      spec_.names.emplace_back(name);
      spec_.locations[std::string(name)] =
          TablespaceLocation{.location = location, .symlink = relative_path};
      Report(source_path, relative_path, visitor, /*follow_link=*/true);
      return;
    }
    entry.header.type = TarEntry::Type::kSymlink;
    if (int err = fs_.ReadLink(source_path, entry.header.link_target)) {
      if (err == ENOENT) return;
      ThrowSystemError("cannot read link", source_path, err);
    }
    visitor.on_entry(std::move(entry));
    return;
  }
  if (st.type == FileType::kDirectory) {
    entry.header.type = TarEntry::Type::kDirectory;
    Decision decision = Classify(relative_dir, name, true);
    visitor.on_entry(std::move(entry));
    // pg_wal/archive_status is reported below as an empty directory: its .ready/.done markers
    // belong to the source's WAL, which the backup does not carry.
    if (decision == Decision::kDirectoryOnly || relative_path == "pg_wal/archive_status") {
      // PostgreSQL (before 15) wants pg_wal/archive_status; pg_basebackup keeps it too.
      if (relative_path == "pg_wal")
        Report(source_path + "/archive_status", "pg_wal/archive_status", visitor, false);
      return;
    }
    WalkDirectory(source_path, relative_path, visitor);
    return;
  }
  if (st.type != FileType::kRegular) {
    spdlog::warn("skipping {}: not a regular file, directory or symbolic link", source_path);
    return;
  }
  entry.header.type = TarEntry::Type::kRegular;
  entry.header.size = st.size;
  if (auto first_block = RelationFirstBlock(relative_path)) {
    entry.has_page_checksums = true;
    entry.first_block = *first_block;
  }
  if (relative_path == "global/pg_control") {
    visitor.on_pg_control(std::move(entry));
  } else {
    visitor.on_entry(std::move(entry));
  }
}

void PgDataWalker::WalkDirectory(const std::string& source_dir, const std::string& relative_dir,
                                 const PgDataWalkVisitor& visitor) {
  std::vector<std::string> names;
  {
    std::vector<DirectoryEntry> entries;
    if (int err = fs_.ListDirectory(source_dir, entries)) {
      if (err == ENOENT && !relative_dir.empty()) return;  // removed during the walk
      ThrowSystemError("cannot read directory", source_dir, err);
    }
    for (DirectoryEntry& entry : entries) names.push_back(std::move(entry.name));
  }
  std::sort(names.begin(), names.end());

  // Unlogged relations: only their init fork is stored; PostgreSQL rebuilds the main fork (and
  // the others) from it at startup, so their contents are never needed (pg_basebackup does this).
  std::set<std::string_view> unlogged;
  bool database_dir = IsDatabaseDir(relative_dir);
  if (database_dir) {
    for (const std::string& name : names) {
      auto relation = ParseRelationFileName(name);
      if (relation && relation->fork == "init" && relation->segment == 0)
        unlogged.insert(relation->relfilenode);
    }
  }

  for (const std::string& name : names) {
    std::string source_path = fmt::format("{}/{}", source_dir, name);
    std::string relative_path = JoinRelative(relative_dir, name);
    if (database_dir && !unlogged.empty()) {
      auto relation = ParseRelationFileName(name);
      if (relation && relation->fork != "init" && unlogged.contains(relation->relfilenode))
        continue;
    }
    // Directories are classified in Report (which needs lstat); files here.
    FileStat st;
    if (int err = fs_.Stat(source_path, st, /*follow_links=*/false)) {
      if (err == ENOENT) continue;
      ThrowSystemError("cannot stat", source_path, err);
    }
    if (st.type != FileType::kDirectory && Classify(relative_dir, name, false) == Decision::kSkip)
      continue;
    Report(source_path, relative_path, visitor, /*follow_link=*/false);
  }
}

}  // namespace walnut
