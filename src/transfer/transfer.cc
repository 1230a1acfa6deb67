#include "transfer/transfer.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "backup/backup_catalog.h"
#include "backup/backup_name.h"
#include "common/error.h"
#include "concurrency/task_group.h"
#include "postgres/wal_file_name.h"
#include "transfer/object_copy.h"
#include "wal/wal_catalog.h"

namespace walnut::transfer {
namespace {

std::vector<ObjectInfo> ListObjects(const Folder& folder, const std::string& prefix) {
  std::vector<ObjectInfo> out;
  folder.List(prefix, ListOptions{.recursive = true}, [&](const ObjectInfo& info) {
    if (!info.is_prefix) out.push_back(info);
  });
  return out;
}

std::map<std::string, uint64_t> ListSizes(const Folder& folder, const std::string& prefix) {
  std::map<std::string, uint64_t> out;
  for (const ObjectInfo& info : ListObjects(folder, prefix)) out[info.key] = info.size;
  return out;
}

// Runs `jobs` on up to `concurrency` threads. Without fail_fast every job runs and failures are
// logged and counted; with it the first failure stops the rest. Throws when any failed.
void RunJobs(const std::vector<std::function<void()>>& jobs, int concurrency, bool fail_fast,
             std::string_view what) {
  std::atomic<uint64_t> failed{0};
  TaskGroup group(static_cast<size_t>(std::max(1, concurrency)));
  for (const auto& job : jobs) {
    if (fail_fast && group.failed()) break;
    group.Submit([&job, &failed, fail_fast](std::stop_token stop) {
      if (stop.stop_requested()) return;
      if (fail_fast) {
        job();
        return;
      }
      try {
        job();
      } catch (const std::exception& e) {
        ++failed;
        spdlog::error("{}", e.what());
      }
    });
  }
  group.Wait();
  if (failed > 0) {
    throw Error(ErrorCode::kIo, fmt::format("{} of {} {} failed (each is logged above); run the "
                                            "command again to retry them",
                                            failed.load(), jobs.size(), what));
  }
}

// Waits until the target can read `key`, as WAL-G's appearance checks.
void AwaitAppearance(const Folder& target, const std::string& key, const TransferOptions& o) {
  for (unsigned i = 0; i < o.appearance_checks; ++i) {
    if (target.Stat(key)) return;
    std::this_thread::sleep_for(o.appearance_interval);
  }
  if (o.appearance_checks == 0) return;
  throw Error(ErrorCode::kIo,
              fmt::format("{}: copied to {} but not readable there after {} checks; left in the "
                          "source",
                          key, target.storage().Describe(), o.appearance_checks));
}

void DeleteKeys(const Folder& folder, const std::vector<std::string>& keys) {
  if (!keys.empty()) folder.Delete(keys);
}

CopyObjectOptions ObjectOptions(const TransferOptions& o, const ObjectInfo& info) {
  CopyObjectOptions c;
  c.pipeline = o.pipeline;
  c.size = info.size;
  return c;
}

}  // namespace

TransferResult TransferFiles(const Folder& source, const Folder& target, const std::string& prefix,
                             const TransferOptions& options) {
  std::vector<ObjectInfo> objects = ListObjects(source, prefix);
  std::map<std::string, uint64_t> existing = ListSizes(target, prefix);
  TransferResult result;
  std::atomic<uint64_t> moved{0};
  std::vector<std::function<void()>> jobs;
  for (const ObjectInfo& info : objects) {
    if (!options.overwrite && existing.count(info.key)) {
      ++result.skipped;
      continue;
    }
    if (jobs.size() >= options.max_files) break;
    jobs.push_back([&, info] {
      CopyStoredObject(source, target, info.key, ObjectOptions(options, info));
      AwaitAppearance(target, info.key, options);
      if (!options.preserve) DeleteKeys(source, {info.key});
      ++moved;
    });
  }
  spdlog::info("transferring {} objects under '{}' ({} already in the target)", jobs.size(),
               prefix, result.skipped);
  try {
    RunJobs(jobs, options.concurrency, options.fail_fast, "objects");
  } catch (...) {
    spdlog::info("transferred {} objects", moved.load());
    throw;
  }
  result.moved = moved;
  spdlog::info("transferred {} objects", result.moved);
  return result;
}

TransferResult TransferBackups(const Folder& source, const Folder& target,
                               const TransferOptions& options) {
  BackupCatalog from(source);
  TransferResult result;
  uint64_t files = 0;
  uint64_t failed_backups = 0;
  for (const BackupListEntry& backup : from.List()) {
    if (result.moved >= options.max_backups || files >= options.max_files) break;
    const std::string sentinel = BackupSentinelKey(backup.name);
    if (!options.overwrite && target.Stat(sentinel)) {
      ++result.skipped;
      continue;
    }
    std::vector<ObjectInfo> parts = ListObjects(source, BackupFolderKey(backup.name));
    std::map<std::string, std::string> digests = from.LoadSentinel(backup.name).stored_sha256;
    const std::string folder = BackupFolderKey(backup.name);
    std::vector<std::function<void()>> jobs;
    for (const ObjectInfo& info : parts) {
      jobs.push_back([&, info] {
        CopyObjectOptions c = ObjectOptions(options, info);
        if (auto it = digests.find(info.key.substr(folder.size())); it != digests.end()) {
          c.stored_sha256 = it->second;
        }
        CopyStoredObject(source, target, info.key, c);
        AwaitAppearance(target, info.key, options);
      });
    }
    try {
      RunJobs(jobs, options.concurrency, options.fail_fast, "objects of " + backup.name);
      // Whole in the target: now its sentinel.
      CopyObjectOptions c;
      c.pipeline = options.pipeline;
      CopyStoredObject(source, target, sentinel, c);
      AwaitAppearance(target, sentinel, options);
      if (!options.preserve) {
        // Unlisted in the source first, then its objects.
        DeleteKeys(source, {sentinel});
        std::vector<std::string> keys;
        for (const ObjectInfo& info : parts) keys.push_back(info.key);
        DeleteKeys(source, keys);
      }
    } catch (const Error& e) {
      if (options.fail_fast) throw;
      spdlog::error("backup {}: {}", backup.name, e.what());
      ++failed_backups;
      continue;
    }
    files += parts.size() + 1;
    ++result.moved;
    spdlog::info("transferred backup {} ({} objects)", backup.name, parts.size() + 1);
  }
  if (failed_backups > 0) {
    throw Error(ErrorCode::kIo, fmt::format("{} backups failed to transfer (each is logged "
                                            "above); run the command again to retry them",
                                            failed_backups));
  }
  return result;
}

CopyResult CopyArchive(const Folder& from, const Folder& to, const CopyOptions& options) {
  BackupCatalog catalog(from);
  std::vector<ObjectInfo> objects;
  std::vector<std::string> sentinel_names;  // the backups whose sentinels are copied
  if (options.backup_name.empty()) {
    spdlog::info("copying every backup and all WAL");
    objects = ListObjects(from, "");
    for (const BackupListEntry& b : catalog.List()) sentinel_names.push_back(b.name);
  } else {
    BackupListEntry backup = catalog.Resolve(options.backup_name);
    BackupSentinel sentinel = catalog.LoadSentinel(backup.name);
    sentinel_names.push_back(backup.name);
    objects = ListObjects(from, BackupFolderKey(backup.name));
    if (auto info = from.Stat(BackupSentinelKey(backup.name))) {
      ObjectInfo s = *info;
      s.key = BackupSentinelKey(backup.name);
      objects.push_back(s);
    }
    if (!options.without_history) {
      const std::string first = BackupWalFileName(backup.name);
      std::optional<pg::WalSegment> start = pg::ParseWalFileName(first, options.wal_segment_size);
      std::string last;
      if (start) {
        last = pg::WalFileName(
            {start->timeline, pg::LsnToSegment(sentinel.finish_lsn, options.wal_segment_size)},
            options.wal_segment_size);
      }
      for (ObjectInfo& info : ListObjects(from, std::string(wal::kWalFolder))) {
        std::string name = info.key.substr(wal::kWalFolder.size());
        name = name.substr(0, name.find('.'));
        if (name >= first && (options.with_history || last.empty() || name <= last)) {
          objects.push_back(std::move(info));
        }
      }
    }
    spdlog::info("copying backup {}{}", backup.name,
                 options.without_history ? ""
                 : options.with_history  ? " and all WAL from its start"
                                         : " and its WAL");
  }

  // Stored digests the sentinels carry for their backups' streamed objects.
  std::map<std::string, std::string> digests;
  std::set<std::string> sentinels;
  for (const std::string& name : sentinel_names) {
    sentinels.insert(BackupSentinelKey(name));
    for (const auto& [rel, sha] : catalog.LoadSentinel(name).stored_sha256) {
      digests[BackupFolderKey(name) + rel] = sha;
    }
  }

  std::map<std::string, uint64_t> existing = ListSizes(to, "");
  CopyResult result;
  std::atomic<uint64_t> copied{0};
  std::atomic<uint64_t> bytes{0};
  std::vector<std::function<void()>> first_jobs;
  std::vector<std::function<void()>> last_jobs;
  for (const ObjectInfo& info : objects) {
    if (auto it = existing.find(info.key); it != existing.end() && it->second == info.size) {
      ++result.skipped;
      continue;
    }
    auto job = [&, info] {
      CopyObjectOptions c;
      c.pipeline = options.pipeline;
      c.size = info.size;
      if (auto it = digests.find(info.key); it != digests.end()) c.stored_sha256 = it->second;
      CopyStoredObject(from, to, info.key, c);
      ++copied;
      bytes += info.size;
    };
    (sentinels.count(info.key) ? last_jobs : first_jobs).push_back(std::move(job));
  }
  spdlog::info("{} objects to copy, {} already in the target", first_jobs.size() + last_jobs.size(),
               result.skipped);
  // A sentinel only once everything else is there: a partial copy never lists a backup.
  RunJobs(first_jobs, options.concurrency, /*fail_fast=*/false, "objects");
  RunJobs(last_jobs, options.concurrency, /*fail_fast=*/false, "sentinels");
  result.copied = copied;
  result.bytes = bytes;
  spdlog::info("copied {} objects ({} bytes)", result.copied, result.bytes);
  return result;
}

}  // namespace walnut::transfer
