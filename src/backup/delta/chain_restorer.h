#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "backup/delta/increment_applier.h"
#include "backup/delta/restore_chain.h"
#include "backup/extractor.h"
#include "common/mutex.h"

namespace walnut {

// The two ways to apply a chain (docs/delta-restore.md compares them).
enum class ChainOrder {
  // Oldest level first: each file's whole copy is written, then each increment is applied over
  // it (truncate or extend to its size, write its pages).
  kForward,
  // Newest level first: a file's newest piece sizes it, and every older piece writes only the
  // pages no newer piece wrote (PageMask), so each page is written once.
  kReverse,
};

// Applies a ChainPlan level by level through an Extractor: for each regular file of a level's
// tars, says whether the plan takes it from this level and how (FilePieceHandler), and applies
// increments. A file is synced, and gets the mode and mtime of its newest piece, once its last
// piece is applied. Thread-safe: the tars of one level may be extracted at once.
class ChainRestorer : public FilePieceHandler {
 public:
  // `plan` must be complete (every level read) and outlive this.
  ChainRestorer(ChainPlan& plan, ChainOrder order);

  // The levels in the order they must be extracted.
  std::vector<size_t> LevelOrder() const;
  // Call before extracting the tars of `level`, after the previous level's tars are all done.
  void BeginLevel(size_t level);

  FilePiece Plan(const std::string& relative, const TarEntry& entry,
                 const std::string& tar_name) override;
  void Patch(const std::string& relative, const TarEntry& entry, Reader& content, LocalFile& out,
             const std::string& tar_name) override;

  // Once every level is extracted: throws kCorruption naming the file and backups when a file
  // got some of its pieces but not all (files that got none are the Extractor's Missing()).
  void CheckComplete() const;

 private:
  // A file a reverse restore has started and not finished: its written pages and the mode and
  // mtime of its newest piece.
  struct Partial {
    PageMask mask;
    uint32_t mode = 0;
    int64_t mtime = 0;
  };

  std::string Context(const std::string& relative, const std::string& tar_name) const;

  ChainPlan& plan_;
  const ChainOrder order_;
  size_t level_ = 0;
  mutable Mutex mu_;
  // The map is guarded; one Partial is used by one thread at a time (a file appears in one tar
  // per level).
  std::unordered_map<const ChainPlan::FilePlan*, Partial> partial_ GUARDED_BY(mu_);
};

}  // namespace walnut
