#include "verify/backup_verify.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "backup/backup_name.h"
#include "backup/delta/increment_format.h"
#include "backup/delta/restore_chain.h"
#include "backup/page_verifier.h"
#include "backup/pgdata_walker.h"
#include "backup/tar_reader.h"
#include "common/error.h"
#include "common/logging.h"
#include "common/mutex.h"
#include "common/retry.h"
#include "concurrency/async_reader.h"
#include "concurrency/task_group.h"
#include "io/digest.h"
#include "io/reader.h"
#include "pipeline/stage_buffers.h"
#include "postgres/page_checksum.h"
#include "postgres/wal_file_name.h"
#include "wal/timeline_history.h"
#include "wal/wal_catalog.h"
#include "wal/wal_verify.h"

namespace walnut::verify {
namespace {

constexpr std::string_view kPgControlTarPrefix = "pg_control.tar";
constexpr std::string_view kPgControlPath = "global/pg_control";
constexpr size_t kReadBufferSize = 1 << 20;
constexpr uint64_t kMaxControlFileSize = 64 << 10;
constexpr size_t kNamesShown = 10;
constexpr size_t kBlocksShown = 10;

// Problems found, one line each, in the order found; a line found twice (a tar read again after
// a retryable error) is kept once. Thread-safe.
class ErrorLines {
 public:
  void Add(std::string line) {
    MutexLock lock(mu_);
    if (!seen_.insert(line).second) return;
    spdlog::error("{}", line);
    lines_.push_back(std::move(line));
  }
  size_t count() const {
    MutexLock lock(mu_);
    return lines_.size();
  }
  std::vector<std::string> Take() {
    MutexLock lock(mu_);
    return std::move(lines_);
  }

 private:
  mutable Mutex mu_;
  std::vector<std::string> lines_ GUARDED_BY(mu_);
  std::set<std::string> seen_ GUARDED_BY(mu_);
};

// Objects read without a SHA-256 to check (backups by WAL-G): summed up in one warning.
class UnverifiedObjects {
 public:
  UnverifiedObjectHandler Handler() {
    return [this](const std::string& object, const std::string&) {
      MutexLock lock(mu_);
      if (first_.empty()) first_ = object;
      ++count_;
    };
  }
  void Report() {
    MutexLock lock(mu_);
    if (count_ == 0) return;
    spdlog::warn(
        "the stored bytes of {} object(s) could not be checked: no SHA-256 was recorded for them "
        "(written by WAL-G or an older Walnut); their files were still checked where "
        "files_metadata.json records a SHA-256; first: {}",
        count_, first_);
  }

 private:
  Mutex mu_;
  uint64_t count_ GUARDED_BY(mu_) = 0;
  std::string first_ GUARDED_BY(mu_);
};

// Hashes what passes through.
class HashingReader : public Reader {
 public:
  HashingReader(Reader& next, Sha256Hasher& hasher) : next_(next), hasher_(hasher) {}
  size_t Read(ByteSpan dst) override {
    size_t n = next_.Read(dst);
    hasher_.Update(ConstByteSpan(dst.data(), n));
    return n;
  }

 private:
  Reader& next_;
  Sha256Hasher& hasher_;
};

std::string StripLeadingSlash(const std::string& path) {
  return path.starts_with('/') ? path.substr(1) : path;
}

std::string ShownList(const std::vector<std::string>& names) {
  std::vector<std::string> shown(
      names.begin(), names.begin() + static_cast<ptrdiff_t>(std::min(names.size(), kNamesShown)));
  return fmt::format("{}{}", fmt::join(shown, ", "), names.size() > shown.size() ? ", ..." : "");
}

std::string ShownBlocks(const std::vector<uint32_t>& blocks, uint64_t count) {
  std::vector<uint32_t> shown(blocks.begin(), blocks.begin() + static_cast<ptrdiff_t>(std::min(
                                                                   blocks.size(), kBlocksShown)));
  return fmt::format("{}{}", fmt::join(shown, ", "), count > shown.size() ? ", ..." : "");
}

// What files_metadata.json says about one path.
struct ExpectedFile {
  std::string sha256;  // "" when none is recorded
  bool incremented = false;
  bool seen = false;
};

// One backup's check. The tars are read in parallel (one thread each); the rest on the caller's.
class BackupCheck {
 public:
  BackupCheck(const BackupCatalog& catalog, const PipelineOptions& pipeline,
              const VerifyOptions& options, std::string name, ErrorLines& errors,
              UnverifiedObjects& unverified, std::atomic<uint64_t>& files,
              std::atomic<uint64_t>& bytes)
      : catalog_(catalog),
        pipeline_(pipeline),
        options_(options),
        name_(std::move(name)),
        errors_(errors),
        unverified_(unverified),
        files_(files),
        bytes_(bytes),
        tars_(catalog.TarPartitions(name_)) {}

  // Returns false when a problem was found.
  bool Run() {
    size_t errors_before = errors_.count();
    try {
      sentinel_ = catalog_.LoadSentinel(name_);
    } catch (const Error& e) {
      Fail(e.what());
      return false;
    }
    sentinel_loaded_ = true;
    spdlog::info("verifying backup {}", name_);
    ReadFilesMetadata();
    if (!ListTars()) return false;
    CheckRecordedParts();
    // pg_control first (it is small): it says whether the cluster has data checksums.
    if (!pg_control_tar_.empty()) VerifyTar(pg_control_tar_);
    if (data_checksums_.has_value()) {
      spdlog::info("backup {}: data checksums {}", name_,
                   *data_checksums_ ? "on: page checksums are checked" : "off");
    } else {
      spdlog::warn("backup {}: page checksums are not checked: {}", name_, NoChecksumsReason());
    }
    {
      TaskGroup group(static_cast<size_t>(std::max(1, options_.download_concurrency)));
      for (const std::string& tar : other_tars_) {
        group.Submit([this, tar](std::stop_token) { VerifyTar(tar); });
      }
      group.Wait();
    }
    ReportMissingFiles();
    return errors_.count() == errors_before;
  }

  // The sentinel Run() loaded; nullptr when it could not.
  const BackupSentinel* sentinel() const { return sentinel_loaded_ ? &sentinel_ : nullptr; }

 private:
  void Fail(std::string_view what) { errors_.Add(fmt::format("backup {}: {}", name_, what)); }
  void FailPart(const std::string& tar, std::string_view what) {
    errors_.Add(fmt::format("backup {}: part {}: {}", name_, tars_.Key(tar), what));
  }

  bool HasFilesMetadata() const {
    return !sentinel_.files_metadata_disabled &&
           (sentinel_.version >= 2 || sentinel_.has_embedded_files);
  }

  // The file list, and for a delta the chain: LoadChain and the plan backup-fetch makes (every
  // base present, of the same system, listing every path the delta needs from it).
  void ReadFilesMetadata() {
    std::vector<ChainLevel> chain;
    std::optional<ChainPlan> plan;
    if (sentinel_.IsDelta()) {
      try {
        chain = LoadChain(catalog_, name_, sentinel_);
        std::vector<std::string> names;
        for (const ChainLevel& level : chain) names.push_back(level.name);
        plan.emplace(std::move(names));
      } catch (const Error& e) {
        Fail(fmt::format("delta chain: {}", e.what()));
      }
    }
    if (!HasFilesMetadata()) {
      spdlog::info("backup {} has no files metadata: only its tars are checked", name_);
      return;
    }
    try {
      FilesMetadataVisitor visitor;
      if (plan) visitor = plan->Visitor(chain.size() - 1);
      auto plan_file = std::move(visitor.on_file);
      auto plan_tar_file_set = std::move(visitor.on_tar_file_set);
      visitor.on_file = [&](const std::string& path, const BackupFileDescription& file) {
        if (plan_file) plan_file(path, file);
        if (file.is_skipped) return;
        MutexLock lock(mu_);
        expected_[StripLeadingSlash(path)] =
            ExpectedFile{.sha256 = file.sha256, .incremented = file.is_incremented};
      };
      visitor.on_tar_file_set = [&](const std::string& tar, const std::vector<std::string>& paths) {
        if (plan_tar_file_set) plan_tar_file_set(tar, paths);
        listed_tars_.insert(tar);
      };
      catalog_.ReadFilesMetadata(name_, sentinel_, visitor);
    } catch (const Error& e) {
      Fail(e.what());
      plan.reset();
    }
    if (!plan) return;
    try {
      size_t target = chain.size() - 1;
      plan->FinishLevel(target);
      for (size_t level = target; level-- > 0;) {
        catalog_.ReadFilesMetadata(chain[level].name, chain[level].sentinel, plan->Visitor(level));
        plan->FinishLevel(level);
      }
    } catch (const Error& e) {
      Fail(fmt::format("delta chain: {}", e.what()));
    }
  }

  bool ListTars() {
    try {
      tars_.List("", ListOptions{.recursive = true}, [&](const ObjectInfo& info) {
        if (info.is_prefix) return;
        stored_tars_.insert(info.key);
        if (info.key.starts_with(kPgControlTarPrefix)) {
          pg_control_tar_ = info.key;
        } else {
          other_tars_.push_back(info.key);
        }
      });
    } catch (const Error& e) {
      Fail(fmt::format("cannot list its parts: {}", e.what()));
      return false;
    }
    std::sort(other_tars_.begin(), other_tars_.end());
    if (stored_tars_.empty()) {
      Fail(fmt::format("no parts in {}/{}", tars_.storage().Describe(), tars_.path()));
    }
    return true;
  }

  // Every part the sentinel records a SHA-256 for, or files_metadata.json lists, must exist.
  void CheckRecordedParts() {
    std::set<std::string> recorded(listed_tars_.begin(), listed_tars_.end());
    for (const auto& [key, sha256] : sentinel_.stored_sha256) {
      if (key.starts_with(kTarPartitionsFolder)) {
        recorded.insert(key.substr(kTarPartitionsFolder.size()));
      }
    }
    for (const std::string& tar : recorded) {
      if (stored_tars_.count(tar) == 0) {
        FailPart(tar,
                 "missing: the backup's sentinel or files metadata lists it, storage does not "
                 "have it");
      }
    }
  }

  DownloadOptions Download(const std::string& tar) {
    DownloadOptions download;
    auto it = sentinel_.stored_sha256.find(std::string(kTarPartitionsFolder) + tar);
    if (it != sentinel_.stored_sha256.end()) download.stored_sha256 = it->second;
    download.on_unverified = unverified_.Handler();
    return download;
  }

  void VerifyTar(const std::string& tar) {
    RetryPolicy policy;
    policy.max_attempts = options_.download_file_retries + 1;
    std::vector<std::byte> buffer(kReadBufferSize);
    try {
      WithRetries(policy, fmt::format("read of {}", tars_.Key(tar)), [&] {
        AsyncReader reader(MakeDownloadReader(tars_, tar, pipeline_, Download(tar)),
                           kStageBufferSize, kStageDepth);
        TarReader tar_reader(reader, tars_.Key(tar));
        while (std::optional<TarEntry> entry = tar_reader.Next()) {
          if (entry->name.empty()) continue;
          MarkSeen(entry->name);
          if (entry->type != TarEntry::Type::kRegular) continue;
          VerifyFile(tar, tar_reader, *entry, buffer);
        }
      });
    } catch (const Error& e) {
      FailPart(tar, e.what());
      ++failed_tars_;
    }
  }

  void MarkSeen(const std::string& path) {
    MutexLock lock(mu_);
    auto it = expected_.find(path);
    if (it != expected_.end()) it->second.seen = true;
  }

  std::optional<ExpectedFile> Expected(const std::string& path) {
    MutexLock lock(mu_);
    auto it = expected_.find(path);
    if (it == expected_.end()) return std::nullopt;
    return it->second;
  }

  bool CheckPages() const { return data_checksums_.value_or(false); }

  // Why data_checksums_ is unknown.
  std::string NoChecksumsReason() const {
    if (pg_control_tar_.empty()) return "it has no pg_control tar";
    if (!control_read_)
      return fmt::format("no {} was read from {}", kPgControlPath, pg_control_tar_);
    return fmt::format(
        "its {} is not of a layout this version reads (PostgreSQL 12 to 16, "
        "64-bit, 8 KiB pages)",
        kPgControlPath);
  }

  void VerifyFile(const std::string& tar, TarReader& tar_reader, const TarEntry& entry,
                  std::vector<std::byte>& buffer) {
    std::optional<ExpectedFile> expected = Expected(entry.name);
    std::optional<uint32_t> first_block = RelationFirstBlock(entry.name);
    Sha256Hasher hasher;
    HashingReader content(tar_reader.content(), hasher);
    std::string context = fmt::format("backup {}: file {} from tar {}", name_, entry.name, tar);
    uint64_t read = 0;
    std::vector<uint32_t> corrupt;
    uint64_t corrupt_count = 0;
    if (expected && expected->incremented) {
      // The validation backup-fetch does before applying an increment, then its pages.
      IncrementHeader header = ReadIncrementHeader(content, entry.size, context);
      read += header.header_size();
      for (uint32_t block : header.blocks) {
        ByteSpan page(buffer.data(), pg::kBlockSize);
        if (ReadFull(content, page) != page.size()) {
          throw Error(ErrorCode::kCorruption, context + ": increment shorter than its header says");
        }
        read += page.size();
        if (CheckPages() && first_block &&
            pg::CheckPage(page, *first_block + block, sentinel_.lsn) == pg::PageCheck::kCorrupt) {
          if (corrupt.size() < kBlocksShown) corrupt.push_back(block);
          ++corrupt_count;
        }
      }
      if (content.Read(ByteSpan(buffer.data(), 1)) != 0) {
        throw Error(ErrorCode::kCorruption, context + ": increment longer than its header says");
      }
    } else {
      std::optional<PageVerifier> pages;
      if (CheckPages() && first_block) {
        pages.emplace(*first_block, sentinel_.lsn);
        pages->set_max_recorded(kBlocksShown);
      }
      // pg_control (8 KiB) is kept to read whether the cluster has data checksums; only from
      // its own tar, read before the others run in parallel.
      const bool control = tar == pg_control_tar_ && entry.name == kPgControlPath &&
                           entry.size <= kMaxControlFileSize;
      std::string control_bytes;
      while (size_t n = content.Read(ByteSpan(buffer))) {
        if (pages) pages->Update(ConstByteSpan(buffer.data(), n));
        if (control) control_bytes.append(reinterpret_cast<const char*>(buffer.data()), n);
        read += n;
      }
      if (control) {
        control_read_ = true;
        data_checksums_ = ControlFileHasDataChecksums(AsBytes(control_bytes));
      }
      if (pages) {
        corrupt = pages->corrupt_blocks();
        corrupt_count = pages->corrupt_count();
      }
    }
    files_ += 1;
    bytes_ += read;
    if (options_.on_bytes) options_.on_bytes(read);
    std::string actual = hasher.Finish().Hex();
    if (expected && !expected->sha256.empty() && expected->sha256 != actual) {
      FailPart(tar, fmt::format("file {}: content does not match the SHA-256 recorded in "
                                "files_metadata.json (recorded {}, read {})",
                                entry.name, expected->sha256, actual));
    }
    if (corrupt_count > 0) {
      FailPart(tar, fmt::format("file {}: {} page(s) fail their checksum (blocks {})", entry.name,
                                corrupt_count, ShownBlocks(corrupt, corrupt_count)));
    }
  }

  void ReportMissingFiles() {
    std::vector<std::string> missing;
    {
      MutexLock lock(mu_);
      for (const auto& [path, file] : expected_) {
        if (!file.seen) missing.push_back(path);
      }
    }
    if (missing.empty()) return;
    std::sort(missing.begin(), missing.end());
    Fail(fmt::format(
        "{} file(s) listed in its files metadata are in no part{}: {}", missing.size(),
        failed_tars_ > 0 ? " read to its end (the parts that failed may hold them)" : "",
        ShownList(missing)));
  }

  const BackupCatalog& catalog_;
  const PipelineOptions& pipeline_;
  const VerifyOptions& options_;
  const std::string name_;
  ErrorLines& errors_;
  UnverifiedObjects& unverified_;
  std::atomic<uint64_t>& files_;
  std::atomic<uint64_t>& bytes_;
  Folder tars_;

  BackupSentinel sentinel_;
  bool sentinel_loaded_ = false;
  std::set<std::string> listed_tars_;  // files_metadata.json's TarFileSets
  std::set<std::string> stored_tars_;
  std::string pg_control_tar_;
  std::vector<std::string> other_tars_;
  // Read from pg_control's tar, before the other tars are read in parallel.
  bool control_read_ = false;
  std::optional<bool> data_checksums_;
  std::atomic<int> failed_tars_{0};
  Mutex mu_;
  std::unordered_map<std::string, ExpectedFile> expected_ GUARDED_BY(mu_);
};

// The backups to check, oldest first: the chosen ones and every base of their chains.
std::vector<std::string> ChooseBackups(const BackupCatalog& catalog, const VerifyOptions& options,
                                       ErrorLines& errors) {
  std::vector<BackupListEntry> listed = catalog.List();
  std::vector<std::string> chosen;
  if (options.all) {
    for (const BackupListEntry& entry : listed) chosen.push_back(entry.name);
    if (chosen.empty()) errors.Add(fmt::format("no backups found in {}", catalog.Describe()));
    return chosen;
  }
  std::string target;
  try {
    target = catalog.Resolve(options.backup_name).name;
  } catch (const Error& e) {
    errors.Add(e.what());
    return chosen;
  }
  // The chain, walked by DeltaFrom; a broken link is reported by the delta's own check.
  std::set<std::string> seen;
  std::string name = target;
  while (!name.empty() && seen.insert(name).second && seen.size() <= kMaxChainLength) {
    chosen.insert(chosen.begin(), name);
    try {
      BackupSentinel sentinel = catalog.LoadSentinel(name);
      name = sentinel.delta_from;
    } catch (const Error&) {
      break;
    }
  }
  return chosen;
}

struct WalCheck {
  uint64_t checked = 0;
  uint64_t missing = 0;
};

// Start and end segments of each checked backup.
struct BackupWal {
  std::string name;
  pg::WalSegment start;
  pg::SegmentNo end = 0;
};

WalCheck CheckWal(const Folder& wal_folder, const PipelineOptions& pipeline,
                  const std::vector<BackupWal>& backups, uint64_t segment_size,
                  ErrorLines& errors) {
  WalCheck out;
  if (backups.empty()) return out;
  std::string where = wal_folder.storage().Describe() + "/" + wal_folder.path();
  wal::WalCatalog wal = wal::WalCatalog::List(wal_folder, segment_size);
  std::vector<pg::TimelineId> timelines = wal.Timelines();
  if (timelines.empty()) {
    errors.Add(fmt::format("no WAL segment archived in {}: no backup can be restored", where));
    return out;
  }
  pg::TimelineId newest_timeline = timelines.back();
  pg::SegmentNo newest = wal.Segments(newest_timeline).back();
  pg::SegmentNo stop = newest + 1;
  for (const BackupWal& backup : backups) stop = std::min(stop, backup.start.segno);
  std::vector<wal::TimelineHistoryEntry> history;
  try {
    history = wal::ReadTimelineHistory(wal_folder, wal, newest_timeline, pipeline)
                  .value_or(std::vector<wal::TimelineHistoryEntry>{});
  } catch (const Error& e) {
    errors.Add(fmt::format("WAL: timeline history of timeline {}: {}", newest_timeline, e.what()));
  }
  wal::IntegrityScan scan{.current = {newest_timeline, newest + 1},
                          .stop = stop,
                          .delayed_window = 0,
                          .uploading_window = 0};
  wal::IntegrityResult result = wal::CheckIntegrity(wal, history, scan);
  for (const wal::IntegrityRow& row : result.rows) {
    out.checked += row.segments.count();
    if (row.status == wal::SegmentStatus::kFound) continue;
    out.missing += row.segments.count();
    std::string first = pg::WalFileName({row.timeline, row.segments.first}, segment_size);
    if (row.segments.count() == 1) {
      errors.Add(fmt::format("WAL segment {} is missing from {}", first, where));
    } else {
      errors.Add(fmt::format("WAL segments {} to {} ({}) are missing from {}", first,
                             pg::WalFileName({row.timeline, row.segments.last}, segment_size),
                             row.segments.count(), where));
    }
  }
  for (const BackupWal& backup : backups) {
    if (backup.end > newest) {
      errors.Add(fmt::format(
          "backup {}: its end segment {} is not archived (the newest is {}): it cannot be "
          "restored to a consistent state yet",
          backup.name, pg::WalFileName({backup.start.timeline, backup.end}, segment_size),
          pg::WalFileName({newest_timeline, newest}, segment_size)));
    }
  }
  return out;
}

Timestamp Now() {
  return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
}

}  // namespace

std::optional<bool> ControlFileHasDataChecksums(ConstByteSpan control) {
  // ControlFileData (src/include/catalog/pg_control.h), PostgreSQL 12 to 16 on a 64-bit host:
  // blcksz at 216, relseg_size at 220, xlog_blcksz at 224, data_checksum_version at 252.
  auto u32 = [&](size_t offset) {
    uint32_t value = 0;
    std::memcpy(&value, control.data() + offset, sizeof value);
    return value;
  };
  if (control.size() < 256 || u32(216) != pg::kBlockSize || u32(220) != pg::kBlocksPerSegment ||
      u32(224) != 8192) {
    return std::nullopt;
  }
  return u32(252) != 0;
}

VerifyResult VerifyBackups(const BackupCatalog& catalog, const Folder& wal_folder,
                           const PipelineOptions& pipeline, const VerifyOptions& options) {
  VerifyResult result;
  result.started_at = Now();
  ErrorLines errors;
  UnverifiedObjects unverified;
  std::atomic<uint64_t> files{0};
  std::atomic<uint64_t> bytes{0};
  const BackupCatalog checked_catalog = catalog.WithUnverifiedHandler(unverified.Handler());

  std::vector<BackupWal> wal_ranges;
  for (const std::string& name : ChooseBackups(checked_catalog, options, errors)) {
    BackupCheck check(checked_catalog, pipeline, options, name, errors, unverified, files, bytes);
    bool ok = check.Run();
    result.backups.push_back(name);
    ++result.backups_checked;
    if (!ok) ++result.backups_failed;
    const BackupSentinel* sentinel = check.sentinel();  // nullptr: reported by the check
    std::optional<pg::WalSegment> start =
        pg::ParseWalFileName(BackupWalFileName(name), options.wal_segment_size);
    if (sentinel != nullptr && start) {
      wal_ranges.push_back(
          BackupWal{.name = name,
                    .start = *start,
                    .end = pg::LsnToSegment(std::max(sentinel->finish_lsn, sentinel->lsn + 1) - 1,
                                            options.wal_segment_size)});
    }
  }
  WalCheck wal;
  try {
    wal = CheckWal(wal_folder, pipeline, wal_ranges, options.wal_segment_size, errors);
  } catch (const Error& e) {
    errors.Add(fmt::format("WAL: {}", e.what()));
  }
  unverified.Report();
  result.wal_segments_checked = wal.checked;
  result.wal_segments_missing = wal.missing;
  result.files_checked = files;
  result.bytes_read = bytes;
  result.errors = errors.Take();
  result.finished_at = Now();
  return result;
}

}  // namespace walnut::verify
