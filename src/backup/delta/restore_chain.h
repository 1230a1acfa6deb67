#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "backup/backup_catalog.h"
#include "backup/backup_metadata.h"
#include "backup/backup_metadata_files.h"

namespace walnut {

// A chain longer than this is refused: real chains are a few deltas (WALG_DELTA_MAX_STEPS), and
// a longer one is a loop through names or damaged sentinels.
inline constexpr size_t kMaxChainLength = 1000;

// One backup of a delta chain.
struct ChainLevel {
  std::string name;
  BackupSentinel sentinel;
};

// The chain that restores `target`: follows DeltaFrom back to a full backup. Returns the levels
// oldest (the full) first, the target last. Throws kCorruption naming the backups for a loop, a
// chain longer than kMaxChainLength, a base of another system identifier, a level without files
// metadata (a delta cannot be applied without it); kNotFound naming the delta and its base when
// the base is gone.
std::vector<ChainLevel> LoadChain(const BackupCatalog& catalog, const std::string& target_name,
                                  const BackupSentinel& target_sentinel);

// Where each file of a chain's target comes from. Levels are indexes into the chain (0: the
// full). The target's "Files" decides which paths exist; for each, walking back from the target:
// a whole copy at level k is taken and ends the walk; an increment at k is taken and the walk
// goes on at k-1; a skipped entry goes on at k-1. A path the target lists that a level reached by
// the walk does not list, or an increment or skip in the full backup, is corruption.
//
// Memory: per path of the target, its name and a FilePlan (16 bytes); per piece taken with a
// recorded SHA-256 (Walnut's backups), 64 more bytes; per level, the names of the tars needed.
class ChainPlan {
 public:
  static constexpr uint16_t kNone = 0xFFFF;

  struct FilePlan {
    uint16_t whole_level = kNone;  // the level of the whole copy
    uint16_t last_level = kNone;   // the newest level holding a piece (whole or increment)
    uint16_t pieces = 0;           // levels taken: the whole copy and the increments above it
    // Planning: the level that last listed the path, and whether that level gives a piece.
    uint16_t seen_level = kNone;
    bool taken_at_seen = false;
    // Restoring (ChainRestorer): pieces applied, and the level of the last one.
    uint16_t applied = 0;
    uint16_t applied_level = kNone;
  };

  // `level_names`: the chain's backups, oldest first (names appear in messages).
  explicit ChainPlan(std::vector<std::string> level_names);
  ChainPlan(const ChainPlan&) = delete;
  ChainPlan& operator=(const ChainPlan&) = delete;

  // Reads one level's files metadata: the target first, then each base down to level 0, each
  // followed by FinishLevel(). "Files" must come before "TarFileSets" (as WAL-G and Walnut write
  // them).
  FilesMetadataVisitor Visitor(size_t level);
  // Throws kCorruption when a path still needing an older piece was not listed at `level`, or,
  // at level 0, still needs one.
  void FinishLevel(size_t level);

  // The plan for a path as a tar names it ("base/1/1259"); null when the target does not list it.
  FilePlan* Find(const std::string& relative);
  // The SHA-256 (hex) recorded for the piece of `file` at `level`, or "".
  std::string Sha256(size_t level, const FilePlan* file) const;
  // Whether a data tar of `level` holds a piece taken from that level. A level without
  // TarFileSets needs all its tars; the target always needs all its tars.
  bool TarNeeded(size_t level, const std::string& tar_name) const;
  // The tars that level's TarFileSets name as holding a needed piece (not for the target), sorted.
  std::vector<std::string> NeededTars(size_t level) const;

  size_t levels() const { return names_.size(); }
  const std::string& name(size_t level) const { return names_[level]; }
  size_t files() const { return files_.size(); }
  // Every path with its plan (for the final completeness check).
  template <typename F>
  void ForEach(F&& f) const {
    for (const auto& [path, file] : files_) f(path, file);
  }

 private:
  struct Level {
    bool saw_files = false;
    bool has_tar_sets = false;
    std::unordered_set<std::string> needed_tars;
    std::unordered_map<const FilePlan*, std::string> sha256;
  };

  void OnFile(size_t level, const std::string& path, const BackupFileDescription& file);
  void OnTarFileSet(size_t level, const std::string& tar, const std::vector<std::string>& paths);

  std::vector<std::string> names_;
  std::vector<Level> levels_;
  std::unordered_map<std::string, FilePlan> files_;
  size_t unresolved_ = 0;           // paths still waiting for their whole copy
  size_t unresolved_seen_ = 0;      // of those, listed by the level being read
  size_t unresolved_at_start_ = 0;  // unresolved_ when the level being read began
  size_t expected_level_ = 0;       // the level Visitor() must be called for next
};

}  // namespace walnut
