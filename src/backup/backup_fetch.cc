#include "backup/backup_fetch.h"

#include <filesystem>
#include <optional>
#include <set>
#include <stop_token>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <fnmatch.h>

#include <nlohmann/json.hpp>

#include "backup/backup_name.h"
#include "backup/delta/chain_restorer.h"
#include "backup/delta/restore_chain.h"
#include "backup/existing_target.h"
#include "backup/extractor.h"
#include "backup/restore_spec.h"
#include "backup/tar_reader.h"
#include "common/error.h"
#include "common/logging.h"
#include "common/mutex.h"
#include "common/retry.h"
#include "concurrency/async_reader.h"
#include "concurrency/task_group.h"
#include "localfs/paths.h"
#include "pipeline/stage_buffers.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPgControlTarPrefix = "pg_control.tar";
constexpr std::string_view kBackupLabelTarPrefix = "backup_label.tar";
constexpr std::string_view kPgControlPath = "global/pg_control";
constexpr std::string_view kTablespaceMap = "tablespace_map";
constexpr size_t kMissingShown = 10;

// Ends a partition's extraction soon after another one failed (TaskGroup requests stop), or
// when the caller asks (BackupFetchOptions::stop_requested).
class StoppableReader : public Reader {
 public:
  // `requested` (the caller's, from BackupFetchOptions) must outlive the reader.
  StoppableReader(Reader& next, std::stop_token stop, const std::function<bool()>& requested,
                  std::string key)
      : next_(next), stop_(std::move(stop)), requested_(requested), key_(std::move(key)) {}
  size_t Read(ByteSpan dst) override {
    if (stop_.stop_requested()) throw Error(ErrorCode::kCancelled, "cancelled after another error");
    if (requested_ && requested_()) {
      throw Error(ErrorCode::kCancelled, fmt::format("restore stopped during {}", key_));
    }
    return next_.Read(dst);
  }

 private:
  Reader& next_;
  std::stop_token stop_;
  const std::function<bool()>& requested_;
  const std::string key_;
};

// The objects of tar_partitions/, by role.
struct TarPlan {
  std::vector<std::string> parts;  // part_*.tar.*, extracted in parallel
  std::string backup_label;        // backup_label.tar.* or ""
  std::string pg_control;          // pg_control.tar.* or ""

  bool Has(const std::string& name) const {
    return name == backup_label || name == pg_control ||
           std::find(parts.begin(), parts.end(), name) != parts.end();
  }
};

TarPlan PlanTars(const Folder& tars, const std::string& backup_name) {
  TarPlan plan;
  tars.List("", ListOptions{.recursive = true}, [&](const ObjectInfo& info) {
    if (info.is_prefix) return;
    if (info.key.starts_with(kPgControlTarPrefix)) {
      plan.pg_control = info.key;
    } else if (info.key.starts_with(kBackupLabelTarPrefix)) {
      plan.backup_label = info.key;
    } else {
      plan.parts.push_back(info.key);
    }
  });
  if (plan.parts.empty() && plan.pg_control.empty()) {
    throw Error(ErrorCode::kCorruption,
                fmt::format("backup {} has no tar partitions in {}", backup_name,
                            tars.storage().Describe() + "/" + tars.path()));
  }
  std::sort(plan.parts.begin(), plan.parts.end());
  return plan;
}

// Objects read without a SHA-256 to check (a backup by WAL-G): backup-fetch says so once, in
// one line, instead of once per object. Thread-safe.
class UnverifiedObjects {
 public:
  UnverifiedObjectHandler Handler() {
    return [this](const std::string& object, const std::string&) {
      MutexLock lock(mu_);
      objects_.insert(object);
    };
  }
  void Report(const std::string& backup_name) {
    MutexLock lock(mu_);
    if (objects_.empty()) return;
    spdlog::warn(
        "backup {}: the content of {} object(s) could not be verified: no SHA-256 was recorded "
        "for them (written by WAL-G or an older Walnut); first: {}",
        backup_name, objects_.size(), *objects_.begin());
  }

 private:
  Mutex mu_;
  std::set<std::string> objects_ GUARDED_BY(mu_);
};

// How to read one tar of a backup: the SHA-256 its sentinel recorded for it, if any.
DownloadOptions TarDownload(const BackupSentinel& sentinel, const std::string& tar,
                            UnverifiedObjectHandler on_unverified) {
  DownloadOptions download;
  auto it = sentinel.stored_sha256.find(std::string(kTarPartitionsFolder) + tar);
  if (it != sentinel.stored_sha256.end()) download.stored_sha256 = it->second;
  download.on_unverified = std::move(on_unverified);
  return download;
}

// Downloads and extracts one tar object, starting over on a retryable failure (files are
// rewritten from the beginning, so a second attempt is idempotent).
void ExtractObject(const Folder& tars, const std::string& name, const PipelineOptions& pipeline,
                   const DownloadOptions& download, Extractor& extractor,
                   const ExtractOptions& options, int retries, const std::stop_token& stop,
                   const std::function<bool()>& stop_requested) {
  RetryPolicy policy;
  policy.max_attempts = retries + 1;
  std::string key = tars.Key(name);
  WithRetries(policy, fmt::format("download of {}", key), [&] {
    // Decompression runs ahead on a thread of its own while this one hashes and writes files.
    AsyncReader reader(MakeDownloadReader(tars, name, pipeline, download), kStageBufferSize,
                       kStageDepth);
    StoppableReader stoppable(reader, stop, stop_requested, key);
    extractor.ExtractTar(stoppable, key, options);
  });
  spdlog::info("finished extraction of {}", name);
}

bool Masked(const std::string& mask, const std::string& path) {
  return !mask.empty() && ::fnmatch(mask.c_str(), path.c_str(), FNM_PATHNAME) != 0;
}

void ThrowIfMissing(const std::vector<std::string>& missing, const std::string& backup_name) {
  if (missing.empty()) return;
  std::vector<std::string> shown(
      missing.begin(),
      missing.begin() + static_cast<ptrdiff_t>(std::min(missing.size(), kMissingShown)));
  throw Error(
      ErrorCode::kCorruption,
      fmt::format("backup {}: {} file(s) listed in its files metadata were not in any tar: {}{}",
                  backup_name, missing.size(), fmt::join(shown, ", "),
                  missing.size() > shown.size() ? ", ..." : ""));
}

// One backup-fetch, phase by phase: what to restore (Plan), what files_metadata.json promises
// (ReadExpectations), the data tars (ExtractData, one backup or a delta chain), then backup_label
// and last pg_control (ExtractLast). Not thread-safe; the extraction itself runs tars in parallel.
class BackupRestore {
 public:
  BackupRestore(const BackupCatalog& catalog, const PipelineOptions& pipeline,
                const BackupFetchOptions& options, UnverifiedObjects& unverified)
      : catalog_(catalog), pipeline_(pipeline), options_(options), unverified_(unverified) {}

  // Resolves the backup, loads its chain and tablespace spec, lists its tars, and prepares the
  // empty target directory.
  void Plan() {
    name_ = options_.target_user_data.empty()
                ? catalog_.Resolve(options_.backup_name).name
                : catalog_.FindByUserData(options_.target_user_data,
                                          "--target-user-data / WALG_FETCH_TARGET_USER_DATA");
    sentinel_ = catalog_.LoadSentinel(name_);
    chain_ = sentinel_.IsDelta() ? LoadChain(catalog_, name_, sentinel_)
                                 : std::vector<ChainLevel>{{name_, sentinel_}};
    target_level_ = chain_.size() - 1;
    if (target_level_ > 0) {
      std::vector<std::string> names;
      for (const ChainLevel& level : chain_) names.push_back(level.name);
      chain_plan_.emplace(std::move(names));
    }
    custom_spec_ = !options_.restore_spec_path.empty();
    if (custom_spec_) {
      spec_ = ReadRestoreSpec(options_.fs, options_.restore_spec_path);
    } else if (sentinel_.spec) {
      spec_ = sentinel_.spec;
      ValidateTablespaceSpec(*spec_, fmt::format("backup {}: sentinel Spec", name_));
    }
    tars_.emplace(catalog_.TarPartitions(name_));
    plan_ = PlanTars(*tars_, name_);

    target_ = fs::absolute(options_.target_dir);
    if (options_.delta) {
      PrepareExistingTarget();
    } else {
      PrepareEmptyDirectory(options_.fs, target_, "target directory", options_.fsync);
    }
    extractor_.emplace(options_.fs, target_, name_);
    data_options_.fsync = options_.fsync;
    data_options_.mask = options_.mask;
    if (custom_spec_) data_options_.skip.insert(std::string(kTablespaceMap));
  }

  // What files_metadata.json promises: every file, with its checksum where Walnut recorded one;
  // for a chain, which level holds each piece.
  void ReadExpectations() {
    if (HasFilesMetadata()) {
      ReadTargetFilesMetadata();
    } else {
      spdlog::info(
          "backup {} has no files metadata: the completeness of the restore is not checked", name_);
    }
    if (chain_plan_) {
      chain_plan_->FinishLevel(target_level_);
      for (size_t level = target_level_; level-- > 0;) {
        catalog_.ReadFilesMetadata(chain_[level].name, chain_[level].sentinel,
                                   chain_plan_->Visitor(level));
        chain_plan_->FinishLevel(level);
      }
    }
    if (spec_) PrepareTablespaces(options_.fs, target_, *spec_, options_.fsync);
    if (options_.delta) ReconcileTarget();
  }

  // The data tars, in parallel: the backup's own, or each level of its chain.
  void ExtractData() {
    if (!chain_plan_) {
      spdlog::info("fetching backup {} into {}: {} tar(s), {} at a time", name_, target_.string(),
                   plan_.parts.size() + (plan_.backup_label.empty() ? 0 : 1) +
                       (plan_.pg_control.empty() ? 0 : 1),
                   options_.download_concurrency);
      ExtractParts(*tars_, sentinel_, plan_.parts, data_options_);
    } else {
      ExtractChain();
    }
    extractor_->FinishDirectories(options_.fsync);
  }

  // backup_label, then, once everything else is complete, synced and checked, pg_control: a
  // restore that stops before cannot be started as a cluster.
  void ExtractLast() {
    if (!plan_.backup_label.empty()) {
      ExtractObject(*tars_, plan_.backup_label, pipeline_,
                    TarDownload(sentinel_, plan_.backup_label, unverified_.Handler()), *extractor_,
                    data_options_, options_.download_file_retries, {}, options_.stop_requested);
      extractor_->FinishDirectories(options_.fsync);
    }
    auto ignored = [&](const std::string& path) {
      return Masked(options_.mask, path) || (custom_spec_ && path == kTablespaceMap);
    };
    ThrowIfMissing(extractor_->Missing([&](const std::string& path) {
      return ignored(path) || pg_control_files_.count(path) != 0;
    }),
                   name_);
    if (plan_.pg_control.empty()) {
      spdlog::warn("backup {} has no pg_control tar", name_);
      return;
    }
    ExtractOptions control_options = data_options_;
    control_options.atomic_files = true;
    try {
      ExtractObject(*tars_, plan_.pg_control, pipeline_,
                    TarDownload(sentinel_, plan_.pg_control, unverified_.Handler()), *extractor_,
                    control_options, options_.download_file_retries, {}, options_.stop_requested);
      extractor_->FinishDirectories(options_.fsync);
      ThrowIfMissing(extractor_->Missing(ignored), name_);
    } catch (...) {
      options_.fs.Unlink((target_ / kPgControlPath).string());
      throw;
    }
  }

  const std::string& name() const { return name_; }
  const Extractor& extractor() const { return *extractor_; }
  const ExistingTargetResult& existing() const { return existing_; }
  uint64_t tars_skipped() const { return tars_skipped_; }

 private:
  bool HasFilesMetadata() const {
    return !sentinel_.files_metadata_disabled &&
           (sentinel_.version >= 2 || sentinel_.has_embedded_files);
  }

  void ReadTargetFilesMetadata() {
    std::vector<std::string> missing_tars;
    FilesMetadataVisitor visitor;
    if (chain_plan_) visitor = chain_plan_->Visitor(target_level_);
    auto plan_file = std::move(visitor.on_file);
    auto plan_tar_file_set = std::move(visitor.on_tar_file_set);
    visitor.on_file = [&](const std::string& path, const BackupFileDescription& file) {
      if (options_.delta) RecordFacts(path, file);
      if (plan_file) {
        // Every path of a delta's target is restored, from whichever level holds it; each
        // piece's checksum is checked by the chain restore.
        plan_file(path, file);
        extractor_->Expect(path, "");
      } else if (!file.is_skipped) {
        extractor_->Expect(path, file.sha256);
      }
    };
    visitor.on_tar_file_set = [&](const std::string& tar, const std::vector<std::string>& paths) {
      if (plan_tar_file_set) plan_tar_file_set(tar, paths);
      if (!plan_.Has(tar)) missing_tars.push_back(tar);
      if (options_.delta) tar_paths_[tar] = paths;
      for (const std::string& path : paths) {
        extractor_->Expect(path, "");
        if (tar == plan_.pg_control)
          pg_control_files_.insert(path.starts_with('/') ? path.substr(1) : path);
      }
    };
    catalog_.ReadFilesMetadata(name_, sentinel_, visitor);
    if (!missing_tars.empty()) {
      throw Error(ErrorCode::kCorruption,
                  fmt::format("backup {}: its files metadata lists tar(s) missing from {}: {}",
                              name_, tars_->storage().Describe() + "/" + tars_->path(),
                              fmt::join(missing_tars, ", ")));
    }
  }

  // --delta: the target may hold a cluster already; refuse it when a postmaster runs there or it
  // is another cluster, then remove pg_control first so that the directory cannot be started
  // until this restore (or a rerun) completes.
  void PrepareExistingTarget() {
    if (!options_.mask.empty()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "backup-fetch --delta cannot be combined with --mask: a delta restore removes "
                  "what the backup does not have; restore the masked files into an empty "
                  "directory instead");
    }
    if (spec_) {
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("backup {} has tablespaces: backup-fetch --delta does not restore "
                              "tablespaces yet; restore it into an empty directory",
                              name_));
    }
    std::vector<DirectoryEntry> entries;
    int err = options_.fs.ListDirectory(target_.string(), entries);
    if (err == ENOENT || (err == 0 && entries.empty())) {
      PrepareEmptyDirectory(options_.fs, target_, "target directory", options_.fsync);
      return;
    }
    if (err != 0) ThrowSystemError("cannot list the target directory", target_.string(), err);
    FileStat stat;
    bool has_version = options_.fs.Stat((target_ / "PG_VERSION").string(), stat, false) == 0;
    bool has_control = options_.fs.Stat((target_ / kPgControlPath).string(), stat, false) == 0;
    if (!has_version && !has_control) {
      throw Error(ErrorCode::kFailedPrecondition,
                  fmt::format("{} is not empty and holds no PostgreSQL data directory (neither "
                              "PG_VERSION nor global/pg_control): backup-fetch --delta restores "
                              "only over a cluster; give it an empty directory or the right one",
                              target_.string()));
    }
    RefuseLivePostmaster(options_.fs, target_);
    std::optional<uint64_t> local_id = ReadControlSystemIdentifier(options_.fs, target_);
    if (!local_id) {
      spdlog::warn(
          "{} has no global/pg_control (an interrupted restore?): cannot check that it holds the "
          "cluster of backup {}",
          target_.string(), name_);
    } else if (sentinel_.system_identifier && *local_id != *sentinel_.system_identifier) {
      if (!options_.delta_other_cluster) {
        throw Error(ErrorCode::kFailedPrecondition,
                    fmt::format("{} holds the cluster of database system identifier {}, and "
                                "backup {} is of system {}: a delta restore would replace another "
                                "cluster; restore into an empty directory, or pass "
                                "--delta-other-cluster if replacing it is meant",
                                target_.string(), *local_id, name_, *sentinel_.system_identifier));
      }
      spdlog::warn(
          "{}: replacing the cluster of system identifier {} by backup {} (system {}), "
          "as --delta-other-cluster asks",
          target_.string(), *local_id, name_, *sentinel_.system_identifier);
    }
    std::string control = (target_ / kPgControlPath).string();
    if (int unlink_err = options_.fs.Unlink(control); unlink_err != 0 && unlink_err != ENOENT) {
      ThrowSystemError("cannot remove", control, unlink_err);
    }
    if (has_control && options_.fsync) {
      SyncDirectoryOrThrow(options_.fs, (target_ / "global").string());
    }
  }

  // --delta: what files_metadata.json says of one path.
  void RecordFacts(const std::string& path, const BackupFileDescription& file) {
    std::optional<std::string> relative = NormalizeTarPath(path);
    if (!relative || relative->empty()) return;  // Extractor::Expect refuses it
    BackupFileFacts& facts = facts_[*relative];
    facts.regular = file.size.has_value() || !file.sha256.empty();
    if (file.size) facts.size = static_cast<uint64_t>(*file.size);
    // In a chain the whole content's digest comes from the level holding the whole copy
    // (ReconcileTarget); an increment's digest is not the content's.
    if (!chain_plan_ && !file.is_incremented) facts.sha256_hex = file.sha256;
    facts.mtime = std::chrono::floor<std::chrono::seconds>(file.mtime.time_since_epoch()).count();
  }

  // --delta: compares the target with the backup's list, removes what the backup lacks, and
  // tells the extraction what to keep.
  void ReconcileTarget() {
    if (chain_plan_) {
      chain_plan_->ForEach([&](const std::string& path, const ChainPlan::FilePlan& file) {
        if (file.pieces != 1 || file.whole_level == ChainPlan::kNone) return;
        std::optional<std::string> relative = NormalizeTarPath(path);
        if (!relative) return;
        auto it = facts_.find(*relative);
        if (it != facts_.end())
          it->second.sha256_hex = chain_plan_->Sha256(file.whole_level, &file);
      });
    }
    ExistingTargetOptions reconcile;
    reconcile.check = *options_.delta;
    reconcile.concurrency = static_cast<int>(std::max(2U, std::thread::hardware_concurrency()));
    reconcile.fsync = options_.fsync;
    reconcile.leave_alone.insert(std::string(kPgControlPath));
    existing_ = ReconcileExistingTarget(options_.fs, target_, facts_, reconcile);
    for (const std::string& path : existing_.kept) extractor_->MarkPresent(path);
    for (const std::string& path : existing_.present) extractor_->MarkPresent(path);
    data_options_.keep = &existing_.kept;
    extractor_->ReplaceExistingLinks();
    if (!chain_plan_) {
      size_t before = plan_.parts.size();
      std::erase_if(plan_.parts, [&](const std::string& tar) { return !TarHasWork(tar); });
      tars_skipped_ += before - plan_.parts.size();
    }
    spdlog::info(
        "delta restore into {}: {} file(s) kept ({} read to compare, {} bytes), {} to restore, {} "
        "entr(y/ies) the backup lacks removed",
        target_.string(), existing_.kept.size(), existing_.files_hashed, existing_.bytes_hashed,
        existing_.rewrite, existing_.removed);
  }

  // --delta: whether a tar of the target backup holds a path not already in place. A tar its
  // files metadata does not describe is always read.
  bool TarHasWork(const std::string& tar) const {
    auto it = tar_paths_.find(tar);
    if (it == tar_paths_.end()) return true;
    for (const std::string& path : it->second) {
      std::optional<std::string> relative = NormalizeTarPath(path);
      if (!relative || relative->empty()) continue;
      if (existing_.kept.count(*relative) == 0 && existing_.present.count(*relative) == 0) {
        return true;
      }
    }
    return false;
  }

  void ExtractParts(const Folder& folder, const BackupSentinel& owner,
                    const std::vector<std::string>& parts, const ExtractOptions& extract_options) {
    TaskGroup group(static_cast<size_t>(std::max(1, options_.download_concurrency)));
    for (const std::string& part : parts) {
      group.Submit([&, part](std::stop_token stop) {
        ExtractObject(folder, part, pipeline_, TarDownload(owner, part, unverified_.Handler()),
                      *extractor_, extract_options, options_.download_file_retries, stop,
                      options_.stop_requested);
      });
    }
    group.Wait();
  }

  void ExtractChain() {
    ChainRestorer restorer(*chain_plan_, options_.chain_order);
    spdlog::info(
        "fetching delta backup {} into {}: a chain of {} backups from {}, {}, {} tar(s) at "
        "a time",
        name_, target_.string(), chain_.size(), chain_.front().name,
        options_.chain_order == ChainOrder::kReverse ? "newest first" : "oldest first",
        options_.download_concurrency);
    for (size_t level : restorer.LevelOrder()) {
      const ChainLevel& backup = chain_[level];
      bool is_target = level == target_level_;
      Folder level_tars = is_target ? *tars_ : catalog_.TarPartitions(backup.name);
      TarPlan level_plan = is_target ? plan_ : PlanTars(level_tars, backup.name);
      std::vector<std::string> parts;
      for (const std::string& part : level_plan.parts) {
        if (!chain_plan_->TarNeeded(level, part)) continue;
        if (is_target && options_.delta && !TarHasWork(part)) {
          ++tars_skipped_;
          continue;
        }
        parts.push_back(part);
      }
      for (const std::string& needed : chain_plan_->NeededTars(level)) {
        if (!level_plan.Has(needed)) {
          throw Error(ErrorCode::kCorruption,
                      fmt::format("backup {}: its files metadata lists tar {}, which holds pieces "
                                  "of backup {}, but {} has no such object",
                                  backup.name, needed, name_,
                                  level_tars.storage().Describe() + "/" + level_tars.path()));
        }
      }
      spdlog::info(
          "backup {} (level {} of the chain): {} of its {} data tar(s) hold pieces to "
          "restore",
          backup.name, level, parts.size(), level_plan.parts.size());
      ExtractOptions level_options = data_options_;
      level_options.pieces = &restorer;
      level_options.files_only = !is_target;
      level_options.backup_name = backup.name;
      restorer.BeginLevel(level);
      ExtractParts(level_tars, backup.sentinel, parts, level_options);
    }
    restorer.CheckComplete();
  }

  const BackupCatalog& catalog_;
  const PipelineOptions& pipeline_;
  const BackupFetchOptions& options_;
  UnverifiedObjects& unverified_;

  std::string name_;
  BackupSentinel sentinel_;
  std::vector<ChainLevel> chain_;
  size_t target_level_ = 0;
  std::optional<ChainPlan> chain_plan_;  // a delta's: which level holds each piece
  bool custom_spec_ = false;
  std::optional<TablespaceSpec> spec_;
  std::optional<Folder> tars_;
  TarPlan plan_;
  fs::path target_;
  std::optional<Extractor> extractor_;
  ExtractOptions data_options_;
  std::set<std::string> pg_control_files_{std::string(kPgControlPath)};
  // --delta: the backup's facts per path, the paths of each of its tars, and what is in place.
  std::unordered_map<std::string, BackupFileFacts> facts_;
  std::unordered_map<std::string, std::vector<std::string>> tar_paths_;
  ExistingTargetResult existing_;
  uint64_t tars_skipped_ = 0;
};

}  // namespace

BackupFetchResult FetchBackup(const BackupCatalog& all_backups, const PipelineOptions& pipeline,
                              const BackupFetchOptions& options) {
  auto started = std::chrono::steady_clock::now();
  UnverifiedObjects unverified;
  const BackupCatalog catalog = all_backups.WithUnverifiedHandler(unverified.Handler());
  BackupRestore restore(catalog, pipeline, options, unverified);
  restore.Plan();
  restore.ReadExpectations();
  restore.ExtractData();
  restore.ExtractLast();
  unverified.Report(restore.name());

  BackupFetchResult result;
  result.backup_name = restore.name();
  result.files = restore.extractor().files_restored();
  result.bytes = restore.extractor().bytes_restored();
  result.files_kept = restore.existing().kept.size();
  result.files_hashed = restore.existing().files_hashed;
  result.entries_removed = restore.existing().removed;
  result.tars_skipped = restore.tars_skipped();
  result.elapsed = std::chrono::steady_clock::now() - started;
  return result;
}

}  // namespace walnut
