#include "retention/delete_plan.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "common/error.h"
#include "wal/wal_catalog.h"

namespace walnut::retention {
namespace {

using Mode = DeleteRequest::Mode;
using Modifier = DeleteRequest::Modifier;

// A chain longer than this is a loop in corrupt sentinels, not a real chain.
constexpr int kMaxChain = 100'000;

class Planner {
 public:
  Planner(const BackupInventory& inventory, const DeleteRequest& request)
      : inv_(inventory), request_(request) {
    for (size_t i = 0; i < inv_.backups.size(); ++i) index_[inv_.backups[i].name] = i;
  }

  DeletePlan Plan() {
    switch (request_.mode) {
      case Mode::kRetain:
        return PlanRetain();
      case Mode::kBefore:
        return PlanBefore();
      case Mode::kEverything:
        return PlanEverything();
      case Mode::kTarget:
        return PlanTarget();
      case Mode::kGarbage:
        return PlanGarbage();
    }
    throw Error(ErrorCode::kInternal, "unknown delete mode");
  }

 private:
  const StoredBackup& At(size_t i) const { return inv_.backups[i]; }

  std::optional<size_t> IndexOf(std::string_view name) const {
    auto it = index_.find(std::string(name));
    if (it == index_.end()) return std::nullopt;
    return it->second;
  }

  // The backups `name` depends on, nearest first, as far as they are complete backups.
  std::vector<size_t> Ancestors(std::string_view name) const {
    std::vector<size_t> chain;
    std::optional<size_t> at = IndexOf(name);
    std::string base = at ? At(*at).delta_from : "";
    for (int depth = 0; !base.empty() && depth < kMaxChain; ++depth) {
      std::optional<size_t> next = IndexOf(base);
      if (!next) break;
      chain.push_back(*next);
      base = At(*next).delta_from;
    }
    return chain;
  }

  int Depth(size_t i) const { return static_cast<int>(Ancestors(At(i).name).size()); }

  // The full backup at the root of i's chain; throws when a base is missing.
  size_t FullOf(size_t i) const {
    size_t at = i;
    for (int depth = 0; depth < kMaxChain && !At(at).IsFull(); ++depth) {
      std::optional<size_t> base = IndexOf(At(at).delta_from);
      if (!base) {
        throw Error(ErrorCode::kCorruption,
                    fmt::format("backup {} depends on {}, which is not in storage: its chain has "
                                "no full backup",
                                At(at).name, At(at).delta_from));
      }
      at = *base;
    }
    if (!At(at).IsFull()) {
      throw Error(ErrorCode::kCorruption,
                  fmt::format("the chain of bases of {} does not end", At(i).name));
    }
    return at;
  }

  // The first backup started at or after `time`.
  std::optional<size_t> FirstAtOrAfter(Timestamp time) const {
    for (size_t i = 0; i < inv_.backups.size(); ++i) {
      if (At(i).time >= time) return i;
    }
    return std::nullopt;
  }

  size_t Named(std::string_view name) const {
    if (std::optional<size_t> i = IndexOf(name)) return *i;
    throw Error(ErrorCode::kNotFound,
                fmt::format("backup '{}' not found; run backup-list for the backups", name));
  }

  void RequireFull(size_t i) const {
    if (!At(i).IsFull()) {
      // WAL-G's words, which operators' scripts may look for.
      throw Error(ErrorCode::kFailedPrecondition,
                  fmt::format("{} is incremental and it's predecessors cannot be deleted. "
                              "Consider FIND_FULL option.",
                              At(i).name));
    }
  }

  DeletePlan PlanRetain() {
    if (request_.count <= 0) {
      throw Error(ErrorCode::kInvalidArgument, "retain: the number of backups must be at least 1");
    }
    const bool full_only = request_.modifier == Modifier::kFull;
    int seen = 0;
    std::optional<size_t> target;
    for (size_t i = inv_.backups.size(); i-- > 0;) {
      if (full_only && !At(i).IsFull()) continue;
      if (++seen == request_.count) {
        target = i;
        break;
      }
    }
    if (request_.modifier == Modifier::kFindFull && target) target = FullOf(*target);

    std::optional<size_t> after;
    if (!request_.after_name.empty()) after = Named(request_.after_name);
    if (request_.after) after = FirstAtOrAfter(*request_.after);
    if (after && request_.modifier != Modifier::kNone) after = FullOf(*after);

    if (!target) {
      return Nothing(fmt::format("retain {}{}: there are {} {}backups, nothing to delete",
                                 ModifierWord(), request_.count, seen, full_only ? "full " : ""));
    }
    // --after keeps the backups after it as well: the older of the two targets wins.
    if (after && *after < *target) target = after;
    RequireFull(*target);
    return BeforeTarget(*target);
  }

  DeletePlan PlanBefore() {
    std::optional<size_t> target;
    if (request_.time) {
      target = FirstAtOrAfter(*request_.time);
      if (!target) {
        return Nothing(fmt::format("no backup started at or after {}, nothing to delete",
                                   FormatRfc3339(*request_.time)));
      }
    } else {
      target = Named(request_.name);
    }
    if (request_.modifier == Modifier::kFindFull) target = FullOf(*target);
    RequireFull(*target);
    return BeforeTarget(*target);
  }

  // Every backup older than the target goes, with the WAL before it; see the header for what
  // is kept regardless.
  DeletePlan BeforeTarget(size_t target) {
    DeletePlan plan;
    std::set<size_t> kept;
    for (size_t i = target; i < inv_.backups.size(); ++i) kept.insert(i);
    for (size_t i = 0; i < target; ++i) {
      if (At(i).permanent) {
        kept.insert(i);
        plan.notes.push_back(fmt::format("kept {}: it is permanent", At(i).name));
      }
    }
    KeepChains(kept, plan);

    std::vector<WalRange> keep = PendingWal();
    for (size_t i : kept) keep.push_back(i >= target ? WalFromStart(At(i)) : WalToEnd(At(i)));
    DoomAllBut(kept, plan);
    // Leftovers older than the target go too, as every object before it goes in WAL-G.
    for (const UnlistedFolder& folder : inv_.unlisted) {
      if (!Protected(folder) && folder.newest < At(target).time)
        plan.folders.push_back(folder.name);
    }
    plan.wal = WalRetention::Before(At(target).start, std::move(keep));
    return plan;
  }

  DeletePlan PlanEverything() {
    DeletePlan plan;
    std::set<size_t> kept;
    for (size_t i = 0; i < inv_.backups.size(); ++i) {
      if (At(i).permanent && !request_.force) {
        throw Error(ErrorCode::kFailedPrecondition,
                    fmt::format("backup {} is permanent: delete everything refuses to delete it; "
                                "run delete everything FORCE to delete permanent backups too, or "
                                "backup-mark -i it first",
                                At(i).name));
      }
    }
    KeepChains(kept, plan);
    DoomAllBut(kept, plan);
    for (const UnlistedFolder& folder : inv_.unlisted) {
      if (!Protected(folder)) plan.folders.push_back(folder.name);
    }
    std::vector<WalRange> keep = PendingWal();
    for (size_t i : kept) keep.push_back(WalFromStart(At(i)));
    // A pending backup may need its timeline's history to be restored: keep them all then.
    plan.wal = WalRetention::All(std::move(keep), /*history=*/!AnyPending());
    plan.clear_archive_identity = true;
    return plan;
  }

  DeletePlan PlanTarget() {
    size_t target = Named(request_.name);
    if (request_.modifier == Modifier::kFindFull) target = FullOf(target);
    // The target and everything that depends on it, directly or not.
    std::set<size_t> doomed{target};
    for (size_t i = 0; i < inv_.backups.size(); ++i) {
      for (size_t ancestor : Ancestors(At(i).name)) {
        if (ancestor == target) doomed.insert(i);
      }
    }
    DeletePlan plan;
    for (size_t i : doomed) {
      if (At(i).permanent) {
        throw Error(
            ErrorCode::kFailedPrecondition,
            fmt::format("backup {} is permanent{}: nothing was deleted; run backup-mark -i "
                        "on it first if it really must go",
                        At(i).name, i == target ? "" : ", and it depends on " + At(target).name));
      }
      for (const UnlistedFolder& folder : inv_.unlisted) {
        if (folder.pending && DependsOn(folder, i)) {
          throw Error(ErrorCode::kFailedPrecondition,
                      fmt::format("{} is being pushed as a delta of {}: nothing was deleted; "
                                  "run delete again when it has finished",
                                  folder.name, At(i).name));
        }
      }
      plan.backups.push_back(DoomedBackup{At(i).name, Depth(i)});
    }
    SortDeepestFirst(plan);
    return plan;
  }

  DeletePlan PlanGarbage() {
    DeletePlan plan;
    if (request_.backups) {
      for (const UnlistedFolder& folder : inv_.unlisted) {
        if (!Protected(folder)) plan.folders.push_back(folder.name);
      }
    }
    for (const StaleTemporaryFile& file : inv_.stale_temporaries) {
      bool wal = file.key.starts_with(wal::kWalFolder);
      if (wal ? request_.archives : request_.backups) plan.temporaries.push_back(file);
    }
    if (!request_.archives) return plan;

    std::optional<size_t> oldest;
    for (size_t i = 0; i < inv_.backups.size() && !oldest; ++i) {
      if (!At(i).permanent) oldest = i;
    }
    std::vector<WalRange> keep = PendingWal();
    for (size_t i = 0; i < inv_.backups.size(); ++i) {
      keep.push_back(oldest && i >= *oldest ? WalFromStart(At(i)) : WalToEnd(At(i)));
    }
    if (oldest) {
      plan.wal = WalRetention::Before(At(*oldest).start, std::move(keep));
    } else if (request_.without_backup_check) {
      plan.wal = WalRetention::All(std::move(keep), /*history=*/false);
    } else {
      plan.notes.push_back(
          "garbage: no backup that is not permanent, so no WAL is deleted (--without-backup-check "
          "deletes the WAL no permanent backup needs)");
    }
    return plan;
  }

  // Plans every backup not in `kept` for deletion, deepest first.
  void DoomAllBut(const std::set<size_t>& kept, DeletePlan& plan) const {
    for (size_t i = 0; i < inv_.backups.size(); ++i) {
      if (!kept.contains(i)) plan.backups.push_back(DoomedBackup{At(i).name, Depth(i)});
    }
    SortDeepestFirst(plan);
  }

  // Adds to `kept` every base of a kept backup and of a pending delta.
  void KeepChains(std::set<size_t>& kept, DeletePlan& plan) const {
    std::vector<size_t> start(kept.begin(), kept.end());
    for (size_t i : start) {
      for (size_t base : Ancestors(At(i).name)) {
        if (kept.insert(base).second) {
          plan.notes.push_back(
              fmt::format("kept {}: {}, which is kept, depends on it", At(base).name, At(i).name));
        }
      }
    }
    for (const UnlistedFolder& folder : inv_.unlisted) {
      if (!folder.pending || folder.delta_base.empty()) continue;
      std::optional<size_t> base = IndexOf(folder.delta_base);
      if (!base) continue;
      auto keep = [&](size_t i) {
        if (kept.insert(i).second) {
          plan.notes.push_back(fmt::format("kept {}: {} is being pushed as a delta depending on it",
                                           At(i).name, folder.name));
        }
      };
      keep(*base);
      for (size_t i : Ancestors(folder.delta_base)) keep(i);
    }
  }

  // Whether the complete backup i is pending folder's base or one of its bases' bases.
  bool DependsOn(const UnlistedFolder& folder, size_t i) const {
    if (folder.delta_base.empty()) return false;
    if (folder.delta_base == At(i).name) return true;
    std::vector<size_t> chain = Ancestors(folder.delta_base);
    return std::find(chain.begin(), chain.end(), i) != chain.end();
  }

  // A folder delete must leave alone: being pushed, or the (sentinel-less) base of one that is.
  bool Protected(const UnlistedFolder& folder) const {
    if (folder.pending) return true;
    return std::any_of(inv_.unlisted.begin(), inv_.unlisted.end(), [&](const UnlistedFolder& f) {
      return f.pending && f.delta_base == folder.name;
    });
  }

  bool AnyPending() const {
    return std::any_of(inv_.unlisted.begin(), inv_.unlisted.end(),
                       [](const UnlistedFolder& f) { return f.pending; });
  }

  // A backup being pushed needs the WAL from its start on.
  std::vector<WalRange> PendingWal() const {
    std::vector<WalRange> keep;
    for (const UnlistedFolder& folder : inv_.unlisted) {
      if (folder.pending) {
        keep.push_back(
            WalRange{.min_timeline = folder.start.timeline, .first = folder.start.segno});
      }
    }
    return keep;
  }

  std::string ModifierWord() const {
    switch (request_.modifier) {
      case Modifier::kFull:
        return "FULL ";
      case Modifier::kFindFull:
        return "FIND_FULL ";
      case Modifier::kNone:
        break;
    }
    return "";
  }

  static DeletePlan Nothing(std::string reason) {
    DeletePlan plan;
    plan.nothing_reason = std::move(reason);
    return plan;
  }

  static void SortDeepestFirst(DeletePlan& plan) {
    std::stable_sort(
        plan.backups.begin(), plan.backups.end(),
        [](const DoomedBackup& a, const DoomedBackup& b) { return a.depth > b.depth; });
  }

  const BackupInventory& inv_;
  const DeleteRequest& request_;
  std::map<std::string, size_t> index_;
};

}  // namespace

WalRange WalFromStart(const StoredBackup& backup) {
  return WalRange{.min_timeline = backup.start.timeline, .first = backup.start.segno};
}

WalRange WalToEnd(const StoredBackup& backup) {
  return WalRange{.min_timeline = backup.start.timeline,
                  .max_timeline = backup.start.timeline,
                  .first = backup.start.segno,
                  .last = backup.finish_segno};
}

DeletePlan PlanDelete(const BackupInventory& inventory, const DeleteRequest& request) {
  return Planner(inventory, request).Plan();
}

}  // namespace walnut::retention
