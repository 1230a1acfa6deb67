#pragma once

// Synthetic backups for restore tests: tars, files metadata and sentinels written as backup-push
// lays them out, without a server. Header-only: the backup tests include it.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backup/backup_catalog.h"
#include "backup/backup_metadata.h"
#include "backup/backup_metadata_files.h"
#include "backup/backup_name.h"
#include "backup/tar_writer.h"
#include "io/digest.h"
#include "io/memory_stream.h"
#include "pipeline/pipeline.h"
#include "storage/storage.h"

namespace walnut::testing {

struct Entry {
  enum class Kind { kWhole, kIncrement, kSkipped, kDirectory };
  std::string path;  // "/base/5/1"
  Kind kind = Kind::kWhole;
  std::string content;  // the file, or the increment
  int tar = 1;          // part_00<tar>.tar
  bool record_sha = true;
  std::optional<std::string> stored;  // what the tar holds, when not `content`
  bool omit = false;                  // listed in the tar's TarFileSets, but not in the tar
};
inline Entry MakeEntry(std::string path, Entry::Kind kind, std::string content, int tar) {
  Entry entry;
  entry.path = std::move(path);
  entry.kind = kind;
  entry.content = std::move(content);
  entry.tar = tar;
  return entry;
}
inline Entry Whole(std::string path, std::string content, int tar = 1) {
  return MakeEntry(std::move(path), Entry::Kind::kWhole, std::move(content), tar);
}
inline Entry Inc(std::string path, std::string increment, int tar = 1) {
  return MakeEntry(std::move(path), Entry::Kind::kIncrement, std::move(increment), tar);
}
inline Entry Skip(std::string path) {
  return MakeEntry(std::move(path), Entry::Kind::kSkipped, "", 0);
}
inline Entry Dir(std::string path) {
  return MakeEntry(std::move(path), Entry::Kind::kDirectory, "", 1);
}

// Writes backups as backup-push lays them out: sentinel, files_metadata.json and tars (data
// parts, backup_label.tar, pg_control.tar), compressed as `pipeline` says.
class ChainStore {
 public:
  ChainStore(Storage& storage, PipelineOptions pipeline = NoCompression())
      : storage_(storage), catalog_(Folder(storage, "")), pipeline_(std::move(pipeline)) {}

  static PipelineOptions NoCompression() {
    PipelineOptions pipeline;
    pipeline.compression = CompressionMethod::kNone;
    return pipeline;
  }

  void Put(const std::string& key, const std::string& data) {
    std::unique_ptr<Writer> out = storage_.Put(key);
    out->Write(AsBytes(data));
    out->Close();
  }

  // A data tar of backup `name`, number `number`, for a writer to fill; returns its object name.
  std::pair<std::string, std::unique_ptr<Writer>> OpenTar(const std::string& name, int number) {
    std::string tar_name = TarPartitionName(number, pipeline_.compression);
    return {tar_name, MakeUploadWriter(catalog_.TarPartitions(name), tar_name, pipeline_)};
  }

  void Add(const std::string& name, const std::string& base, const std::vector<Entry>& entries) {
    FilesMetadata metadata;
    std::map<int, std::vector<const Entry*>> tars;
    for (const Entry& entry : entries) {
      BackupFileDescription file;
      file.is_incremented = entry.kind == Entry::Kind::kIncrement;
      file.is_skipped = entry.kind == Entry::Kind::kSkipped;
      if (entry.kind == Entry::Kind::kWhole || entry.kind == Entry::Kind::kIncrement) {
        if (entry.record_sha) file.sha256 = Digest::Of(AsBytes(entry.content)).Hex();
      }
      metadata.files[entry.path] = file;
      if (entry.kind != Entry::Kind::kSkipped) tars[entry.tar].push_back(&entry);
    }
    for (const auto& [number, members] : tars) {
      auto [tar_name, out] = OpenTar(name, number);
      WriteTar(*out, members);
      for (const Entry* entry : members) metadata.tar_file_sets[tar_name].push_back(entry->path);
    }
    Commit(name, base, metadata);
  }

  // Adds pg_control.tar and backup_label.tar to `metadata`'s backup, then files_metadata.json
  // and the sentinel.
  void Commit(const std::string& name, const std::string& base, FilesMetadata metadata) {
    std::string tar_folder = BackupTarPartitionsKey(name);
    Entry control = Whole("/global/pg_control", "control of " + name);
    WriteTar(*storage_.Put(tar_folder + "pg_control.tar"), {&control});
    metadata.files["/global/pg_control"] = BackupFileDescription{};
    metadata.tar_file_sets["pg_control.tar"] = {"/global/pg_control"};
    Entry label = Whole("/backup_label", "label of " + name);
    WriteTar(*storage_.Put(tar_folder + "backup_label.tar"), {&label});

    MemoryWriter files_metadata;
    WriteFilesMetadata(metadata, files_metadata);
    Put(BackupFilesMetadataKey(name), files_metadata.data());

    BackupSentinel sentinel;
    sentinel.lsn = next_lsn_;
    next_lsn_ += 1 << 24;
    sentinel.finish_lsn = sentinel.lsn + 100;
    sentinel.system_identifier = 42;
    if (!base.empty()) {
      sentinel.delta_from = base;
      sentinel.delta_lsn = lsn_[base];
      sentinel.delta_full_name = full_[base];
      sentinel.delta_count = count_[base] + 1;
    }
    lsn_[name] = sentinel.lsn;
    full_[name] = base.empty() ? name : full_[base];
    count_[name] = sentinel.delta_count;
    Put(BackupSentinelKey(name), SerializeBackupSentinel(sentinel));
  }

  const BackupCatalog& catalog() const { return catalog_; }
  const PipelineOptions& pipeline() const { return pipeline_; }

 private:
  static void WriteTar(Writer& out, const std::vector<const Entry*>& members) {
    TarWriter tar(out);
    for (const Entry* member : members) {
      if (member->omit) continue;
      TarEntry entry;
      entry.name = member->path;
      entry.mtime = 1700000000;
      if (member->kind == Entry::Kind::kDirectory) {
        entry.type = TarEntry::Type::kDirectory;
        entry.mode = 0700;
        tar.AddEntry(entry);
        continue;
      }
      const std::string& bytes = member->stored ? *member->stored : member->content;
      entry.size = bytes.size();
      tar.AddEntry(entry);
      tar.Write(AsBytes(bytes));
    }
    tar.Close();
  }

  Storage& storage_;
  BackupCatalog catalog_;
  PipelineOptions pipeline_;
  pg::Lsn next_lsn_ = pg::Lsn{2} << 24;
  std::map<std::string, pg::Lsn> lsn_;
  std::map<std::string, std::string> full_;
  std::map<std::string, int> count_;
};

}  // namespace walnut::testing
