#include "backup/backup_push.h"

#include <array>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "backup/archive_check.h"
#include "backup/backup_mark.h"
#include "backup/backup_name.h"
#include "backup/delta/base_files.h"
#include "backup/delta/increment_packer.h"
#include "backup/metered_storage.h"
#include "backup/pgdata_walker.h"
#include "backup/tar_partition.h"
#include "backup/tar_upload_queue.h"
#include "common/error.h"
#include "common/host_name.h"
#include "common/logging.h"
#include "common/mutex.h"
#include "concurrency/bounded_queue.h"
#include "pipeline/stored_document.h"
#include "postgres/page_checksum.h"

namespace walnut {
namespace {

// WAL-G keeps the first 10 corrupt block numbers of a file unless told to keep all.
constexpr size_t kCorruptBlocksKept = 10;
// Entries walked ahead of the tar workers: enough to keep them busy, small enough to stay flat.
constexpr size_t kQueueDepth = 256;

Timestamp Now() {
  return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
}

// A delete may run while a delta is pushed. Delete removes sentinels first, then lists them again
// to keep the bases of deltas that appeared meanwhile; checking the chain after our sentinel is
// written covers the other order (the bases went before our sentinel appeared). A delta whose
// base is gone cannot be restored: its sentinel is removed again, leaving garbage for delete.
void UnpublishIfBaseChainWasDeleted(const Folder& root, const std::string& name,
                                    const std::string& base) {
  const std::string missing = WalkBackupChain(BackupCatalog(root), base).missing;
  if (missing.empty()) return;
  std::string unpublished = "the delta was not published";
  try {
    const std::array<std::string, 1> sentinel{BackupSentinelKey(name)};
    root.Delete(sentinel);
  } catch (const Error& e) {
    unpublished = fmt::format("removing the delta's sentinel {} failed ({}): delete it by hand",
                              root.Key(BackupSentinelKey(name)), e.what());
  }
  throw Error(ErrorCode::kNotFound,
              fmt::format("base backup {} was deleted while delta {} was being pushed (a "
                          "concurrent delete?); {}; take a full backup with --full",
                          missing, name, unpublished));
}

std::string JoinNumbers(const std::vector<uint32_t>& numbers) {
  std::string out;
  for (uint32_t n : numbers) out += (out.empty() ? "" : ", ") + std::to_string(n);
  return out;
}

// What a delta needs to pack a file: the base's files and start LSN. Null files: a full backup.
struct DeltaPacking {
  const BaseFiles* files = nullptr;
  pg::Lsn base_start_lsn = 0;
};

// Thrown through the walker to end the walk once a worker has failed (its error is the one
// reported).
struct WalkAborted {};

// The state the tar workers share. Thread-safe.
class TarWorkers {
 public:
  TarWorkers(const Folder& tars, const PipelineOptions& pipeline, const BackupPushOptions& options,
             const BackupPushObserver& observer, FilesMetadataWriter* files, FileReadOptions read,
             DeltaPacking delta)
      : tars_(tars),
        pipeline_(pipeline),
        options_(options),
        observer_(observer),
        files_(files),
        read_(std::move(read)),
        delta_(delta),
        queue_(kQueueDepth),
        uploads_(
            static_cast<size_t>(std::max(1, options.upload_queue)),
            [this](TarPartition& tar) { Uploaded(tar); },
            [this](std::exception_ptr error) { Fail(error); }) {}

  ~TarWorkers() {
    // Only reached without Finish() when the caller is unwinding: stop and join the workers, drop
    // the tars still waiting for their upload.
    failed_ = true;
    queue_.Close();
    uploads_.Cancel();
    for (auto& t : threads_) t.join();
  }
  TarWorkers(const TarWorkers&) = delete;
  TarWorkers& operator=(const TarWorkers&) = delete;

  void Start() {
    int count = std::max(1, options_.disk_concurrency);
    for (int i = 0; i < count; ++i) threads_.emplace_back([this] { Run(); });
  }

  // Called by the walking thread; false once a worker failed.
  bool Push(WalkedEntry entry) { return queue_.Push(std::move(entry)); }

  // Waits for the workers and the uploads of their tars; rethrows the first error.
  void Finish() {
    queue_.Close();
    for (auto& t : threads_) t.join();
    threads_.clear();
    uploads_.Drain();
    MutexLock lock(mu_);
    if (error_) std::rethrow_exception(error_);
  }
  void Fail(std::exception_ptr error) {
    {
      MutexLock lock(mu_);
      if (!error_) error_ = error;
    }
    failed_ = true;
    queue_.Close();
    uploads_.Cancel();
  }

  int NextNumber() { return next_number_++; }
  // Records a finished tar (under the lock): its paths for TarFileSets, its size and its
  // SHA-256 for the sentinel.
  void RecordTar(const TarPartition& tar) {
    MutexLock lock(mu_);
    tar_sets_.emplace_back(tar.name(), tar.paths());
    uncompressed_size_ += tar.size();
    stored_sha256_[std::string(kTarPartitionsFolder) + tar.name()] = tar.stored_sha256();
  }
  void AddFileMetadata(const std::string& path, const BackupFileDescription& file) {
    MutexLock lock(mu_);
    if (files_) files_->AddFile(path, file);
  }

  // After Finish(): each tar's name and paths, for TarFileSets.
  std::vector<std::pair<std::string, std::vector<std::string>>> TakeTarSets() {
    MutexLock lock(mu_);
    return std::move(tar_sets_);
  }
  uint64_t uncompressed_size() const {
    MutexLock lock(mu_);
    return uncompressed_size_;
  }
  // The SHA-256 of a stored object (a tar part, files_metadata.json) for the sentinel.
  void RecordStoredSha256(std::string key, std::string sha256) {
    MutexLock lock(mu_);
    stored_sha256_[std::move(key)] = std::move(sha256);
  }
  // After Finish(): every stored object's SHA-256, for the sentinel.
  std::map<std::string, std::string> TakeStoredSha256() {
    MutexLock lock(mu_);
    return std::move(stored_sha256_);
  }
  uint64_t data_size() const { return data_size_; }
  uint64_t corrupt_files() const { return corrupt_files_; }
  uint64_t skipped_files() const { return skipped_files_; }
  uint64_t incremented_files() const { return incremented_files_; }

 private:
  void Run() {
    std::unique_ptr<TarPartition> tar;
    try {
      while (auto entry = queue_.Pop()) {
        if (failed_) break;
        if (!tar)
          tar = std::make_unique<TarPartition>(
              tars_, TarPartitionName(NextNumber(), pipeline_.compression), pipeline_);
        Pack(*tar, *entry);
        // A part ends once it passes the threshold (so one huge file may exceed it, as WAL-G).
        // Its upload finishes in the upload queue while this worker fills the next one.
        if (tar->size() >= options_.tar_size_threshold && !uploads_.Submit(std::move(tar))) break;
      }
      if (tar && !failed_) uploads_.Submit(std::move(tar));
    } catch (...) {
      Fail(std::current_exception());
    }
  }

  // A tar's upload is committed (on an upload queue thread).
  void Uploaded(TarPartition& tar) {
    RecordTar(tar);
    spdlog::debug("uploaded {} ({} bytes of tar)", tar.name(), tar.size());
    if (observer_.on_tar_uploaded) observer_.on_tar_uploaded(tar.name(), tar.size());
  }

  void Pack(TarPartition& tar, const WalkedEntry& entry) {
    BackupFileDescription description;
    description.mtime = entry.mtime;
    if (entry.header.type != TarEntry::Type::kRegular) {
      tar.AddHeader(entry.header);
      AddFileMetadata(entry.header.name, description);
      return;
    }
    description.size = static_cast<int64_t>(entry.header.size);
    if (delta_.files && delta_.files->Unchanged(entry)) {
      description.is_skipped = true;  // the base's copy is this file
      ++skipped_files_;
      AddFileMetadata(entry.header.name, description);
      return;
    }
    std::optional<PackedFile> packed =
        delta_.files && delta_.files->Contains(entry.header.name) && IsIncrementable(entry)
            ? PackIncrement(tar, entry, read_, delta_.base_start_lsn)
            : tar.AddFile(entry, read_);
    if (!packed) return;  // vanished
    data_size_ += packed->size;
    description.is_incremented = packed->incremented;
    if (packed->incremented) ++incremented_files_;
    description.sha256 = packed->sha256;
    if (packed->corrupt_blocks) {
      ++corrupt_files_;
      spdlog::warn("page checksum verification failed in {}: {} corrupt block(s), first ones: {}",
                   entry.header.name, packed->corrupt_blocks->count,
                   JoinNumbers(packed->corrupt_blocks->some_blocks));
      description.corrupt_blocks = std::move(packed->corrupt_blocks);
    }
    AddFileMetadata(entry.header.name, description);
  }

  const Folder& tars_;
  const PipelineOptions& pipeline_;
  const BackupPushOptions& options_;
  const BackupPushObserver& observer_;
  FilesMetadataWriter* files_;
  const FileReadOptions read_;
  const DeltaPacking delta_;
  BoundedQueue<WalkedEntry> queue_;
  std::vector<std::thread> threads_;
  std::atomic<int> next_number_{1};
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> data_size_{0};
  std::atomic<uint64_t> corrupt_files_{0};
  std::atomic<uint64_t> skipped_files_{0};
  std::atomic<uint64_t> incremented_files_{0};
  mutable Mutex mu_;
  std::exception_ptr error_ GUARDED_BY(mu_);
  std::vector<std::pair<std::string, std::vector<std::string>>> tar_sets_ GUARDED_BY(mu_);
  uint64_t uncompressed_size_ GUARDED_BY(mu_) = 0;
  std::map<std::string, std::string> stored_sha256_ GUARDED_BY(mu_);
  // Last: destroyed first, so its threads are joined before the state their callbacks touch.
  TarUploadQueue uploads_;
};

// What PlanBackup decided: the backup's name and, for a delta, its base's files (`delta` points
// into `base_files`, so a plan stays where it was made).
struct BackupPlan {
  std::string name;
  std::optional<BaseFiles> base_files;
  DeltaPacking delta;
};

// Names the backup and, for a delta, loads its base's files; records both in the sentinel with
// what the server said at the start.
void PlanBackup(const Folder& root, const BackupStart& start, const BackupPushOptions& options,
                BackupSentinel& sentinel, BackupPlan& plan) {
  CheckDataDirectory(options.data_dir, start.data_directory);
  if (options.delta) {
    const DeltaBase& base = *options.delta;
    CheckDeltaBase(base, start.lsn, start.system_identifier);
    plan.name = DeltaBackupName(start.segment, base.name);
    sentinel.delta_from = base.name;
    sentinel.delta_full_name = base.full_name;
    sentinel.delta_count = base.count;
    sentinel.delta_lsn = base.sentinel.lsn;
    plan.base_files = BaseFiles::Load(BackupCatalog(root), base.name, base.sentinel);
    plan.delta = DeltaPacking{.files = &*plan.base_files, .base_start_lsn = base.sentinel.lsn};
    spdlog::info("starting delta backup {} at LSN {}: pages changed since LSN {} of {}", plan.name,
                 pg::FormatLsn(start.lsn), pg::FormatLsn(base.sentinel.lsn), base.name);
  } else {
    plan.name = FullBackupName(start.segment);
    spdlog::info("starting base backup {} at LSN {}", plan.name, pg::FormatLsn(start.lsn));
  }
  sentinel.lsn = start.lsn;
  sentinel.pg_version = start.pg_version;
  sentinel.system_identifier = start.system_identifier;
  sentinel.timeline = start.segment.timeline;
  if (options.verify_page_checksums && !start.data_checksums) {
    spdlog::warn(
        "page checksum verification was asked for, but the cluster has no data checksums: "
        "skipped");
  }
}

// How every data file is read: throttled by `disk` (may be null), page checksums verified when
// asked for and the cluster has them.
FileReadOptions ReadOptionsFor(const BackupPushOptions& options, const BackupStart& start,
                               const BackupPushObserver& observer, RateLimiter* disk) {
  FileReadOptions read{.fs = options.fs};
  read.disk_limiter = disk;
  read.verify_page_checksums = options.verify_page_checksums && start.data_checksums;
  read.backup_start_lsn = start.lsn;
  read.max_corrupt_blocks_recorded =
      options.store_all_corrupt_blocks ? SIZE_MAX : kCorruptBlocksKept;
  read.stop = options.stop;
  read.on_bytes = observer.on_bytes_read;
  return read;
}

// Walks the data directory and packs every file but pg_control into tars (TarWorkers); returns
// pg_control's entry, which goes last.
WalkedEntry PackDataFiles(PgDataWalker& walker, TarWorkers& workers,
                          const BackupPushOptions& options) {
  std::optional<WalkedEntry> pg_control;
  workers.Start();
  try {
    walker.Walk(PgDataWalkVisitor{
        .on_entry =
            [&](WalkedEntry&& entry) {
              if (options.stop && options.stop->load())
                throw Error(ErrorCode::kCancelled, "backup-push interrupted");
              if (!workers.Push(std::move(entry))) throw WalkAborted{};
            },
        .on_pg_control = [&](WalkedEntry&& entry) { pg_control = std::move(entry); },
    });
  } catch (const WalkAborted&) {
    // A worker failed; Finish() reports its error.
  } catch (...) {
    workers.Fail(std::current_exception());
  }
  workers.Finish();
  if (!pg_control) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("{}/global/pg_control is missing", options.data_dir));
  }
  return std::move(*pg_control);
}

// pg_control in a tar of its own, last of the data (WAL-G): a restore that stops early cannot
// start a cluster.
void PackPgControl(const Folder& tars, const PipelineOptions& pipeline, TarWorkers& workers,
                   const WalkedEntry& pg_control, const FileReadOptions& read,
                   const BackupPushObserver& observer) {
  TarPartition tar(tars, PgControlTarName(pipeline.compression), pipeline);
  workers.NextNumber();
  auto packed = tar.AddFile(pg_control, read);
  if (!packed) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("{} vanished during the backup", pg_control.source_path));
  }
  BackupFileDescription description;
  description.mtime = pg_control.mtime;
  description.size = static_cast<int64_t>(packed->size);
  description.sha256 = packed->sha256;
  workers.AddFileMetadata(pg_control.header.name, description);
  tar.Close();
  workers.RecordTar(tar);
  if (observer.on_tar_uploaded) observer.on_tar_uploaded(tar.name(), tar.size());
}

// backup_label and tablespace_map as the server returned them at the stop, in the last tar.
// Names without the leading '/', as WAL-G: restore extracts them over PGDATA last.
void PackBackupLabel(const Folder& tars, const PipelineOptions& pipeline, TarWorkers& workers,
                     const BackupStop& stop, const BackupPushObserver& observer) {
  TarPartition tar(tars, BackupLabelTarName(pipeline.compression), pipeline);
  TarEntry header;
  header.name = "backup_label";
  header.mode = 0600;
  header.mtime = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  tar.AddContent(header, stop.backup_label);
  if (!stop.tablespace_map.empty()) {
    header.name = "tablespace_map";
    tar.AddContent(header, stop.tablespace_map);
  }
  tar.Close();
  workers.RecordTar(tar);
  if (observer.on_tar_uploaded) observer.on_tar_uploaded(tar.name(), tar.size());
}

// The documents, once every tar and the WAL are stored: files_metadata.json (committed now),
// metadata.json, and last the sentinel, which makes the backup exist for backup-list and
// backup-fetch.
void PublishBackup(const Folder& root, const std::string& name, const BackupPushOptions& options,
                   TarWorkers& workers, const PgDataWalker& walker, const MeteredStorage& metered,
                   FilesMetadataWriter* files, UploadWriter* files_upload,
                   BackupSentinel& sentinel) {
  if (files) {
    for (const auto& [tar_name, paths] : workers.TakeTarSets())
      files->AddTarFileSet(tar_name, paths);
    files->Finish();
    files_upload->Close();
    workers.RecordStoredSha256(std::string(kFilesMetadataFileName), files_upload->sha256());
  }
  sentinel.stored_sha256 = workers.TakeStoredSha256();
  sentinel.finish_time = Now();
  sentinel.uncompressed_size = static_cast<int64_t>(workers.uncompressed_size());
  sentinel.compressed_size = static_cast<int64_t>(metered.bytes_written());
  sentinel.data_catalog_size = static_cast<int64_t>(workers.data_size());
  if (!walker.spec().names.empty()) sentinel.spec = walker.spec();
  if (workers.corrupt_files() > 0) {
    spdlog::warn("{} file(s) have pages with bad checksums; their block numbers are in {}",
                 workers.corrupt_files(), BackupFilesMetadataKey(name));
  }
  if (options.delta) {
    spdlog::info("delta {}: {} file(s) stored as increments, {} unchanged since {}", name,
                 workers.incremented_files(), workers.skipped_files(), options.delta->name);
    if (options.permanent) MarkAncestorsPermanent(BackupCatalog(root), *options.delta);
  }
  BackupCatalog(root).WriteDocument(BackupMetadataKey(name),
                                    SerializeExtendedMetadata(MetadataFromSentinel(sentinel)));
  BackupCatalog(root).WriteDocument(BackupSentinelKey(name), SerializeBackupSentinel(sentinel));
  if (options.delta) UnpublishIfBaseChainWasDeleted(root, name, options.delta->name);
}

}  // namespace

void CheckDataDirectory(const std::string& given, const std::string& server_data_directory) {
  std::error_code ec;
  auto resolved_given = std::filesystem::canonical(given, ec);
  if (ec) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("data directory {} cannot be resolved: {}", given, ec.message()));
  }
  auto resolved_server = std::filesystem::canonical(server_data_directory, ec);
  if (ec || resolved_given != resolved_server) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("data directory {} is not the server's data_directory {}: back up the "
                            "directory of the server you are connected to (check PGHOST/PGPORT)",
                            given, server_data_directory));
  }
}

BackupPushResult PushBackup(BackupSession& session, const Folder& root,
                            const PipelineOptions& pipeline, const BackupPushOptions& options,
                            const BackupPushObserver& observer) {
  BackupSentinel sentinel;
  sentinel.start_time = Now();
  sentinel.hostname = HostName();
  sentinel.data_dir = options.data_dir;
  sentinel.is_permanent = options.permanent;
  sentinel.user_data = options.user_data;
  sentinel.files_metadata_disabled = options.without_files_metadata;

  SerializeBackupSentinel(sentinel);  // rejects bad user data before the backup, not after it
  CheckServerArchives(session, options);
  BackupStart start = session.Start(FormatRfc3339Nano(sentinel.start_time));
  BackupPlan plan;
  try {
    PlanBackup(root, start, options, sentinel, plan);
    const std::string& name = plan.name;
    MeteredStorage metered(root.storage());
    Folder tars(metered, root.Key(BackupTarPartitionsKey(name)));

    // files_metadata.json streams to storage as files are packed; it is committed (visible) only
    // after every tar, just before the sentinel.
    std::unique_ptr<UploadWriter> files_upload;
    std::unique_ptr<FilesMetadataWriter> files;
    if (!options.without_files_metadata) {
      files_upload = CreateDocument(root, BackupFilesMetadataKey(name));
      files = std::make_unique<FilesMetadataWriter>(*files_upload);
    }
    std::unique_ptr<RateLimiter> disk;
    if (options.disk_rate_limit) {
      // WAL-G's burst: the rate plus 8 pages.
      disk = std::make_unique<RateLimiter>(*options.disk_rate_limit,
                                           *options.disk_rate_limit + 8 * pg::kBlockSize);
    }
    const FileReadOptions read = ReadOptionsFor(options, start, observer, disk.get());

    TarWorkers workers(tars, pipeline, options, observer, files.get(), read, plan.delta);
    PgDataWalker walker(options.fs, options.data_dir);
    const WalkedEntry pg_control = PackDataFiles(walker, workers, options);
    PackPgControl(tars, pipeline, workers, pg_control, read, observer);

    BackupStop stop = session.Stop();
    sentinel.finish_lsn = stop.lsn;
    spdlog::info("base backup {} stopped at LSN {}", name, pg::FormatLsn(stop.lsn));
    PackBackupLabel(tars, pipeline, workers, stop, observer);

    WaitForArchivedWal(root, name, pg::WalFileName(start.segment),
                       pg::WalFileName(stop.last_segment), pipeline.compression, options);
    PublishBackup(root, name, options, workers, walker, metered, files.get(), files_upload.get(),
                  sentinel);
  } catch (...) {
    session.Abort();
    throw;
  }
  spdlog::info("wrote backup {} ({} bytes of data, {} bytes stored)", plan.name,
               sentinel.uncompressed_size, sentinel.compressed_size);
  return BackupPushResult{.backup_name = plan.name, .sentinel = sentinel};
}

}  // namespace walnut
