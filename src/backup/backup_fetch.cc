#include "backup/backup_fetch.h"

#include <filesystem>
#include <optional>
#include <set>
#include <stop_token>
#include <vector>

#include <fmt/format.h>
#include <fnmatch.h>

#include <nlohmann/json.hpp>

#include "backup/backup_name.h"
#include "backup/delta/chain_restorer.h"
#include "backup/delta/restore_chain.h"
#include "backup/extractor.h"
#include "backup/restore_spec.h"
#include "common/mutex.h"
#include "common/error.h"
#include "common/logging.h"
#include "common/retry.h"
#include "concurrency/async_reader.h"
#include "concurrency/task_group.h"
#include "pipeline/stage_buffers.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPgControlTarPrefix = "pg_control.tar";
constexpr std::string_view kBackupLabelTarPrefix = "backup_label.tar";
constexpr std::string_view kPgControlPath = "global/pg_control";
constexpr std::string_view kTablespaceMap = "tablespace_map";
constexpr size_t kMissingShown = 10;

// Ends a partition's extraction soon after another one failed (TaskGroup requests stop).
class StoppableReader : public Reader {
 public:
  StoppableReader(Reader& next, std::stop_token stop) : next_(next), stop_(std::move(stop)) {}
  size_t Read(ByteSpan dst) override {
    if (stop_.stop_requested()) throw Error(ErrorCode::kCancelled, "cancelled after another error");
    return next_.Read(dst);
  }

 private:
  Reader& next_;
  std::stop_token stop_;
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
                   const ExtractOptions& options, int retries, const std::stop_token& stop) {
  RetryPolicy policy;
  policy.max_attempts = retries + 1;
  std::string key = tars.Key(name);
  WithRetries(policy, fmt::format("download of {}", key), [&] {
    // Decompression runs ahead on a thread of its own while this one hashes and writes files.
    AsyncReader reader(MakeDownloadReader(tars, name, pipeline, download), kStageBufferSize,
                       kStageDepth);
    StoppableReader stoppable(reader, stop);
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

}  // namespace

BackupFetchResult FetchBackup(const BackupCatalog& all_backups, const PipelineOptions& pipeline,
                              const BackupFetchOptions& options) {
  auto started = std::chrono::steady_clock::now();
  UnverifiedObjects unverified;
  const BackupCatalog catalog = all_backups.WithUnverifiedHandler(unverified.Handler());
  std::string name =
      options.target_user_data.empty()
          ? catalog.Resolve(options.backup_name).name
          : catalog.FindByUserData(options.target_user_data,
                                   "--target-user-data / WALG_FETCH_TARGET_USER_DATA");
  BackupSentinel sentinel = catalog.LoadSentinel(name);
  std::vector<ChainLevel> chain = sentinel.IsDelta() ? LoadChain(catalog, name, sentinel)
                                                     : std::vector<ChainLevel>{{name, sentinel}};
  const size_t target_level = chain.size() - 1;
  std::optional<ChainPlan> chain_plan;
  if (target_level > 0) {
    std::vector<std::string> names;
    for (const ChainLevel& level : chain) names.push_back(level.name);
    chain_plan.emplace(std::move(names));
  }
  bool custom_spec = !options.restore_spec_path.empty();
  std::optional<TablespaceSpec> spec;
  if (custom_spec) {
    spec = ReadRestoreSpec(options.fs, options.restore_spec_path);
  } else if (sentinel.spec) {
    spec = sentinel.spec;
    ValidateTablespaceSpec(*spec, fmt::format("backup {}: sentinel Spec", name));
  }
  Folder tars = catalog.TarPartitions(name);
  TarPlan plan = PlanTars(tars, name);

  fs::path target = fs::absolute(options.target_dir);
  PrepareEmptyDirectory(options.fs, target, "target directory", options.fsync);
  Extractor extractor(options.fs, target, name);

  // What files_metadata.json promises: every file, with its checksum where Walnut recorded one.
  std::set<std::string> pg_control_files{std::string(kPgControlPath)};
  bool has_files_metadata =
      !sentinel.files_metadata_disabled && (sentinel.version >= 2 || sentinel.has_embedded_files);
  if (has_files_metadata) {
    std::vector<std::string> missing_tars;
    FilesMetadataVisitor visitor;
    if (chain_plan) visitor = chain_plan->Visitor(target_level);
    auto plan_file = std::move(visitor.on_file);
    auto plan_tar_file_set = std::move(visitor.on_tar_file_set);
    visitor.on_file = [&](const std::string& path, const BackupFileDescription& file) {
      if (plan_file) {
        // Every path of a delta's target is restored, from whichever level holds it; each
        // piece's checksum is checked by the chain restore.
        plan_file(path, file);
        extractor.Expect(path, "");
      } else if (!file.is_skipped) {
        extractor.Expect(path, file.sha256);
      }
    };
    visitor.on_tar_file_set = [&](const std::string& tar, const std::vector<std::string>& paths) {
      if (plan_tar_file_set) plan_tar_file_set(tar, paths);
      if (!plan.Has(tar)) missing_tars.push_back(tar);
      for (const std::string& path : paths) {
        extractor.Expect(path, "");
        if (tar == plan.pg_control)
          pg_control_files.insert(path.starts_with('/') ? path.substr(1) : path);
      }
    };
    catalog.ReadFilesMetadata(name, sentinel, visitor);
    if (!missing_tars.empty()) {
      throw Error(ErrorCode::kCorruption,
                  fmt::format("backup {}: its files metadata lists tar(s) missing from {}: {}",
                              name, tars.storage().Describe() + "/" + tars.path(),
                              fmt::join(missing_tars, ", ")));
    }
  } else {
    spdlog::info("backup {} has no files metadata: the completeness of the restore is not checked",
                 name);
  }
  if (chain_plan) {
    chain_plan->FinishLevel(target_level);
    for (size_t level = target_level; level-- > 0;) {
      catalog.ReadFilesMetadata(chain[level].name, chain[level].sentinel,
                                chain_plan->Visitor(level));
      chain_plan->FinishLevel(level);
    }
  }

  if (spec) PrepareTablespaces(options.fs, target, *spec, options.fsync);

  ExtractOptions data_options;
  data_options.fsync = options.fsync;
  data_options.mask = options.mask;
  if (custom_spec) data_options.skip.insert(std::string(kTablespaceMap));
  auto extract_parts = [&](const Folder& folder, const BackupSentinel& owner,
                           const std::vector<std::string>& parts,
                           const ExtractOptions& extract_options) {
    TaskGroup group(static_cast<size_t>(std::max(1, options.download_concurrency)));
    for (const std::string& part : parts) {
      group.Submit([&, part](std::stop_token stop) {
        ExtractObject(folder, part, pipeline, TarDownload(owner, part, unverified.Handler()),
                      extractor, extract_options, options.download_file_retries, stop);
      });
    }
    group.Wait();
  };
  if (!chain_plan) {
    spdlog::info(
        "fetching backup {} into {}: {} tar(s), {} at a time", name, target.string(),
        plan.parts.size() + (plan.backup_label.empty() ? 0 : 1) + (plan.pg_control.empty() ? 0 : 1),
        options.download_concurrency);
    extract_parts(tars, sentinel, plan.parts, data_options);
  } else {
    ChainRestorer restorer(*chain_plan, options.chain_order);
    spdlog::info(
        "fetching delta backup {} into {}: a chain of {} backups from {}, {}, {} tar(s) at "
        "a time",
        name, target.string(), chain.size(), chain.front().name,
        options.chain_order == ChainOrder::kReverse ? "newest first" : "oldest first",
        options.download_concurrency);
    for (size_t level : restorer.LevelOrder()) {
      const ChainLevel& backup = chain[level];
      bool is_target = level == target_level;
      Folder level_tars = is_target ? tars : catalog.TarPartitions(backup.name);
      TarPlan level_plan = is_target ? plan : PlanTars(level_tars, backup.name);
      std::vector<std::string> parts;
      for (const std::string& part : level_plan.parts) {
        if (chain_plan->TarNeeded(level, part)) parts.push_back(part);
      }
      for (const std::string& needed : chain_plan->NeededTars(level)) {
        if (!level_plan.Has(needed)) {
          throw Error(ErrorCode::kCorruption,
                      fmt::format("backup {}: its files metadata lists tar {}, which holds pieces "
                                  "of backup {}, but {} has no such object",
                                  backup.name, needed, name,
                                  level_tars.storage().Describe() + "/" + level_tars.path()));
        }
      }
      spdlog::info(
          "backup {} (level {} of the chain): {} of its {} data tar(s) hold pieces to "
          "restore",
          backup.name, level, parts.size(), level_plan.parts.size());
      ExtractOptions level_options = data_options;
      level_options.pieces = &restorer;
      level_options.files_only = !is_target;
      level_options.backup_name = backup.name;
      restorer.BeginLevel(level);
      extract_parts(level_tars, backup.sentinel, parts, level_options);
    }
    restorer.CheckComplete();
  }
  extractor.FinishDirectories(options.fsync);
  if (!plan.backup_label.empty()) {
    ExtractObject(tars, plan.backup_label, pipeline,
                  TarDownload(sentinel, plan.backup_label, unverified.Handler()), extractor,
                  data_options, options.download_file_retries, {});
    extractor.FinishDirectories(options.fsync);
  }

  auto ignored = [&](const std::string& path) {
    return Masked(options.mask, path) || (custom_spec && path == kTablespaceMap);
  };
  // pg_control appears only once everything else is complete, synced and checked.
  ThrowIfMissing(extractor.Missing([&](const std::string& path) {
    return ignored(path) || pg_control_files.count(path) != 0;
  }),
                 name);
  if (!plan.pg_control.empty()) {
    ExtractOptions control_options = data_options;
    control_options.atomic_files = true;
    try {
      ExtractObject(tars, plan.pg_control, pipeline,
                    TarDownload(sentinel, plan.pg_control, unverified.Handler()), extractor,
                    control_options, options.download_file_retries, {});
      extractor.FinishDirectories(options.fsync);
      ThrowIfMissing(extractor.Missing(ignored), name);
    } catch (...) {
      options.fs.Unlink((target / kPgControlPath).string());
      throw;
    }
  } else {
    spdlog::warn("backup {} has no pg_control tar", name);
  }

  unverified.Report(name);

  BackupFetchResult result;
  result.backup_name = name;
  result.files = extractor.files_restored();
  result.bytes = extractor.bytes_restored();
  result.elapsed = std::chrono::steady_clock::now() - started;
  return result;
}

}  // namespace walnut
