#include "retention/delete_executor.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "backup/backup_name.h"
#include "common/error.h"
#include "storage/locked_objects.h"
#include "wal/archive_identity.h"
#include "wal/wal_catalog.h"

namespace walnut::retention {
namespace {

// S3's DeleteObjects takes 1000 keys; the storage batches further itself where it can.
constexpr size_t kBatch = 1000;

// The printer: every object a delete removes is named here, one line each as it comes (a WAL set
// of millions is never gathered into one string). A dry run names each at INFO in WAL-G's shape
// ("\twill be deleted: wal_005/000000010000000000000003.lz4"), a real run at DEBUG.
void PrintObject(std::string_view key, bool confirm) {
  if (confirm) {
    spdlog::debug("deleting {}", key);
  } else {
    spdlog::info("\twill be deleted: {}", key);
  }
}

// Counts what a storage kept under retention (ObjectsLockedError), and says it as it comes.
class LockTally {
 public:
  explicit LockTally(DeleteReport& report) : report_(report) {}

  // Returns the keys that stayed.
  const std::vector<std::string>& Note(const ObjectsLockedError& e) {
    report_.locked += e.locked().keys.size();
    const auto& until = e.locked().retain_until;
    if (until && (!report_.locked_until || *until > *report_.locked_until)) {
      report_.locked_until = until;
    }
    spdlog::warn("{}", e.what());
    return e.locked().keys;
  }

 private:
  DeleteReport& report_;
};

// Deletes keys in batches (or, in a dry run, only counts them).
class BatchDeleter {
 public:
  BatchDeleter(const Folder& root, bool confirm, LockTally& locks)
      : root_(root), confirm_(confirm), locks_(locks) {}

  void Add(std::string key) {
    PrintObject(key, confirm_);
    ++count_;
    if (!confirm_) return;
    batch_.push_back(std::move(key));
    if (batch_.size() >= kBatch) Flush();
  }
  void Flush() {
    if (batch_.empty()) return;
    try {
      root_.Delete(batch_);
    } catch (const ObjectsLockedError& e) {
      count_ -= locks_.Note(e).size();
    }
    batch_.clear();
  }
  // The objects deleted (or, in a dry run, that would be), locked ones not counted.
  uint64_t count() const { return count_; }

 private:
  const Folder& root_;
  bool confirm_;
  LockTally& locks_;
  std::vector<std::string> batch_;
  uint64_t count_ = 0;
};

// A contiguous stretch of deleted WAL on one timeline, for one log line instead of thousands.
struct WalRun {
  std::string first;
  std::string last;
  uint64_t objects = 0;
};

class Executor {
 public:
  Executor(const BackupCatalog& catalog, const BackupInventory& inventory, const DeletePlan& plan,
           bool confirm, uint64_t segment_size)
      : catalog_(catalog),
        root_(catalog.root()),
        inv_(inventory),
        plan_(plan),
        confirm_(confirm),
        segment_size_(segment_size),
        verb_(confirm ? "deleted" : "would delete"),
        wal_(plan.wal),
        locks_(report_) {}

  DeleteReport Run() {
    // Read before anything goes: the record the emptied archive is to lose (see
    // ClearArchiveIdentity).
    std::optional<std::string> identity;
    if (plan_.clear_archive_identity) identity = ReadArchiveIdentityRecord(root_);
    std::set<std::string> doomed;
    for (const DoomedBackup& backup : plan_.backups) doomed.insert(backup.name);
    if (confirm_) {
      SaveSentinels();
      std::set<std::string> locked_sentinels = DeleteSentinels();
      RestoreStillNeeded(doomed, locked_sentinels);
    } else {
      for (const DoomedBackup& backup : plan_.backups) {
        PrintObject(BackupSentinelKey(backup.name), confirm_);
      }
      report_.objects += plan_.backups.size();
    }
    for (const DoomedBackup& backup : plan_.backups) {
      if (!doomed.contains(backup.name)) continue;
      DeleteFolder(backup.name);
      ++report_.backups;
      const StoredBackup* stored = inv_.Find(backup.name);
      spdlog::info("{} backup {} ({}{})", verb_, backup.name,
                   stored && !stored->IsFull() ? "delta of " + stored->delta_from : "full",
                   stored ? ", started " + FormatRfc3339(stored->time) : "");
    }
    for (const std::string& folder : plan_.folders) {
      DeleteFolder(folder);
      ++report_.folders;
      spdlog::info(
          "{} {} without a sentinel (the leftover of a failed backup-push or an "
          "interrupted delete)",
          verb_, BackupFolderKey(folder));
    }
    DeleteTemporaries();
    DeleteWal();
    if (identity) ClearArchiveIdentity(*identity);
    return report_;
  }

 private:
  // The sentinels' bytes, to put a backup back if step 2 finds it is still needed.
  void SaveSentinels() {
    for (const DoomedBackup& backup : plan_.backups) {
      saved_[backup.name] = catalog_.ReadDocument(BackupSentinelKey(backup.name), backup.name);
    }
  }

  // Returns the backups whose sentinel the storage kept under retention.
  std::set<std::string> DeleteSentinels() {
    std::set<std::string> locked;
    // One request per depth: a delta's sentinel is gone before its base's is touched.
    size_t i = 0;
    while (i < plan_.backups.size()) {
      std::vector<std::string> keys;
      std::map<std::string, std::string> backup_of;  // sentinel key -> backup name
      const int depth = plan_.backups[i].depth;
      for (; i < plan_.backups.size() && plan_.backups[i].depth == depth; ++i) {
        keys.push_back(BackupSentinelKey(plan_.backups[i].name));
        backup_of[keys.back()] = plan_.backups[i].name;
        PrintObject(keys.back(), confirm_);
      }
      uint64_t deleted = keys.size();
      try {
        root_.Delete(keys);
      } catch (const ObjectsLockedError& e) {
        for (const std::string& key : locks_.Note(e)) {
          if (auto it = backup_of.find(key); it != backup_of.end()) locked.insert(it->second);
          --deleted;
        }
      }
      report_.objects += deleted;
    }
    return locked;
  }

  // Puts back the doomed backups that something listed now depends on: a backup that a
  // concurrent backup-push finished after the inventory was read, or one that backup-mark made
  // permanent meanwhile, and those whose sentinel the storage kept under retention (with their
  // bases). Their data has not been touched yet, so they are whole again.
  void RestoreStillNeeded(std::set<std::string>& doomed,
                          const std::set<std::string>& locked_sentinels) {
    std::set<std::string> needed;
    // Adds the doomed backups among `name` and its bases (as far as the inventory knows them);
    // returns whether it found any.
    auto need_with_bases = [&](std::string name) {
      bool found = false;
      std::set<std::string> seen;  // a loop in corrupt sentinels ends here
      while (!name.empty() && seen.insert(name).second) {
        if (doomed.contains(name)) found = needed.insert(name).second || found;
        const StoredBackup* stored = inv_.Find(name);
        name = stored ? stored->delta_from : "";
      }
      return found;
    };
    for (const BackupListEntry& entry : catalog_.List()) {
      if (inv_.Find(entry.name)) continue;
      std::string base;
      try {
        base = catalog_.LoadSentinel(entry.name).delta_from;
      } catch (const Error& e) {
        spdlog::warn("backup {} appeared during the delete and cannot be read: {}", entry.name,
                     e.what());
        continue;
      }
      // It needs the WAL from its start on, whatever the plan said of that WAL.
      if (std::optional<pg::WalSegment> start =
              pg::ParseWalFileName(BackupWalFileName(entry.name), segment_size_)) {
        wal_.Keep(WalRange{.min_timeline = start->timeline, .first = start->segno});
      }
      if (need_with_bases(base)) {
        spdlog::warn("backup {} finished during the delete and depends on backups it was deleting",
                     entry.name);
      }
    }
    for (const std::string& name : doomed) {
      const StoredBackup* stored = inv_.Find(name);
      if (stored && stored->permanent) continue;  // everything FORCE: doomed knowingly
      std::optional<ExtendedMetadata> metadata = catalog_.TryLoadMetadata(name);
      if (metadata && metadata->is_permanent) {
        spdlog::warn("backup {} was marked permanent during the delete", name);
        need_with_bases(name);
      }
    }
    for (const std::string& name : locked_sentinels) {
      // Still listed: it, and every base it needs, must stay restorable.
      need_with_bases(name);
    }
    for (const std::string& name : needed) {
      // Restorable to its end, like any backup kept for its own sake or as a base.
      if (const StoredBackup* stored = inv_.Find(name)) wal_.Keep(WalToEnd(*stored));
      doomed.erase(name);
      if (locked_sentinels.contains(name)) {
        ++report_.locked_backups;
        spdlog::warn("kept backup {}: its sentinel is locked by the bucket's Object Lock", name);
        continue;
      }
      catalog_.WriteDocument(BackupSentinelKey(name), saved_.at(name));
      --report_.objects;
      ++report_.restored;
      spdlog::warn("kept backup {}: its sentinel was put back", name);
    }
  }

  void DeleteFolder(const std::string& name) {
    BatchDeleter deleter(root_, confirm_, locks_);
    root_.List(BackupFolderKey(name), ListOptions{.recursive = true}, [&](const ObjectInfo& info) {
      if (!info.is_prefix) deleter.Add(info.key);
    });
    deleter.Flush();
    report_.objects += deleter.count();
  }

  // Each named, in a dry run too: they are not objects, and an operator sees them nowhere else.
  void DeleteTemporaries() {
    BatchDeleter deleter(root_, confirm_, locks_);
    for (const StaleTemporaryFile& file : plan_.temporaries) {
      spdlog::info(
          "{} {} ({} bytes, last written {}): the temporary file of an upload that did "
          "not finish",
          verb_, file.key, file.size, FormatRfc3339(file.mtime));
      deleter.Add(file.key);
    }
    deleter.Flush();
    report_.temporaries += deleter.count();
    report_.objects += deleter.count();
  }

  void DeleteWal() {
    if (!wal_.DeletesAnything()) return;
    const std::string wal_folder(wal::kWalFolder);
    BatchDeleter deleter(root_, confirm_, locks_);
    std::map<std::string, WalRun> runs;  // by timeline (the first 8 characters)
    // The listing is in key order, so WAL goes oldest first on each timeline: an interrupted run
    // leaves no hole in what remains. The storage allows deleting while listing.
    root_.List(wal_folder, ListOptions{.recursive = true}, [&](const ObjectInfo& info) {
      if (info.is_prefix) return;
      const std::string_view name = std::string_view(info.key).substr(wal_folder.size());
      if (!wal_.MayDelete(name, segment_size_)) return;
      WalRun& run = runs[std::string(name.substr(0, 8))];
      if (run.objects++ == 0) run.first = name;
      run.last = name;
      deleter.Add(info.key);
    });
    deleter.Flush();
    for (const auto& [timeline, run] : runs) {
      spdlog::info("{} {} WAL objects of timeline {}: {} to {}", verb_, run.objects, timeline,
                   run.first, run.last);
    }
    report_.objects += deleter.count();
    report_.wal_objects += deleter.count();
  }

  // Removes the archive's cluster identity record (`recorded`, read before the delete began) as
  // the last object, so that the storage can be reused by a new cluster, and says so. Left in
  // place when the archive is not empty now (a backup being pushed, or WAL archived during the
  // delete: a cluster still uses the storage) or the record changed meanwhile: a record that
  // appeared after the delete began belongs to a cluster archiving now and is never removed.
  void ClearArchiveIdentity(const std::string& recorded) {
    const std::string key(kArchiveIdentityObject);
    std::string owner = "an unreadable record";
    try {
      owner = fmt::format("database system {}",
                          ArchiveIdentityFromJson(recorded, key).system_identifier);
    } catch (const Error&) {
      // Removed all the same: a damaged record only blocks every cluster.
    }
    if (!confirm_) {
      const bool pushing = std::any_of(inv_.unlisted.begin(), inv_.unlisted.end(),
                                       [](const UnlistedFolder& folder) { return folder.pending; });
      if (pushing) {
        spdlog::info(
            "would keep the archive's cluster identity record {} ({}): a backup is being pushed",
            key, owner);
        return;
      }
      PrintObject(key, confirm_);
      ++report_.objects;
      spdlog::info(
          "would delete the archive's cluster identity record {} ({}): the next cluster to "
          "push WAL here would own the storage",
          key, owner);
      return;
    }
    if (const uint64_t left = CountArchiveObjects(); left > 0) {
      spdlog::warn(
          "kept the archive's cluster identity record {} ({}): {} objects are still in {} or {} "
          "(a backup being pushed, or WAL archived during the delete), so a cluster still uses "
          "this storage; stop its archiving and backups, then run delete everything again",
          key, owner, left, kBaseBackupsFolder, wal::kWalFolder);
      return;
    }
    if (ReadArchiveIdentityRecord(root_) != recorded) {
      spdlog::warn("the archive's cluster identity record {} changed during the delete: kept", key);
      return;
    }
    PrintObject(key, confirm_);
    try {
      root_.Delete(std::vector<std::string>{key});
    } catch (const ObjectsLockedError& e) {
      locks_.Note(e);
      return;
    }
    ++report_.objects;
    spdlog::info(
        "deleted the archive's cluster identity record {} ({}): the next cluster to push WAL "
        "here owns the storage",
        key, owner);
  }

  uint64_t CountArchiveObjects() const {
    uint64_t count = 0;
    for (std::string_view folder : {kBaseBackupsFolder, wal::kWalFolder}) {
      root_.List(folder, ListOptions{.recursive = true}, [&](const ObjectInfo& info) {
        if (!info.is_prefix) ++count;
      });
    }
    return count;
  }

  const BackupCatalog& catalog_;
  const Folder& root_;
  const BackupInventory& inv_;
  const DeletePlan& plan_;
  bool confirm_;
  uint64_t segment_size_;
  std::string verb_;
  WalRetention wal_;  // the plan's, plus what step 2 found must stay
  std::map<std::string, std::string> saved_;
  DeleteReport report_;
  LockTally locks_;  // counts into report_
};

}  // namespace

DeleteReport ExecuteDelete(const BackupCatalog& catalog, const BackupInventory& inventory,
                           const DeletePlan& plan, bool confirm, uint64_t segment_size) {
  return Executor(catalog, inventory, plan, confirm, segment_size).Run();
}

}  // namespace walnut::retention
