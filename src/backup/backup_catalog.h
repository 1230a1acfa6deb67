#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backup/backup_metadata.h"
#include "backup/backup_metadata_files.h"
#include "pipeline/content_checksum.h"
#include "storage/folder.h"

namespace walnut {

// One complete backup, as backup-list shows it (WAL-G's BackupTime).
struct BackupListEntry {
  std::string name;           // base_000000010000000000000002
  Timestamp modified{};       // the sentinel object's LastModified (storage mtime)
  std::string wal_file_name;  // 000000010000000000000002
  std::string storage_name;   // "default" (WAL-G's failover storage name)
};

// The backups of one storage root (a Folder with WALG_STORAGE_PREFIX applied). A backup exists
// iff its sentinel exists. Every document read is checked against its recorded SHA-256
// (pipeline/stored_document.h); documents without one (written by WAL-G) are reported to the
// catalogue's UnverifiedObjectHandler. Thread-safe as the Storage is; holds no cache.
class BackupCatalog {
 public:
  explicit BackupCatalog(Folder root, std::string storage_name = "default");

  // A catalogue of the same root whose reads report unverified documents to `handler` instead of
  // WarnUnverified (backup-fetch sums them up in one line).
  BackupCatalog WithUnverifiedHandler(UnverifiedObjectHandler handler) const;

  // Sentinels directly under basebackups_005/ (a non-recursive listing), oldest first by
  // LastModified, then by name. Objects that are not "<backup name>_backup_stop_sentinel.json"
  // are ignored. Empty when there are none.
  std::vector<BackupListEntry> List() const;

  // `name_or_latest`: a backup name or LATEST (the sentinel with the newest LastModified,
  // as WAL-G picks it, not the greatest name). Throws kNotFound: "backup 'X' not found in
  // <storage>; run backup-list", or "no backups found in <storage>" for LATEST.
  BackupListEntry Resolve(std::string_view name_or_latest) const;

  // The name of the one backup whose sentinel UserData equals `user_data_json` (compared as JSON
  // values): backup-fetch --target-user-data, backup-push --delta-from-user-data. Throws
  // kInvalidArgument for bad JSON (naming `setting`) or several matches, kNotFound for none.
  std::string FindByUserData(std::string_view user_data_json, std::string_view setting) const;

  // The documents of backup `name`. Throw kNotFound naming the backup and the object when it is
  // missing, kCorruption (naming the object) when it does not parse.
  BackupSentinel LoadSentinel(std::string_view name) const;
  ExtendedMetadata LoadMetadata(std::string_view name) const;
  // nullopt when metadata.json is absent (backups by WAL-G before it wrote one).
  std::optional<ExtendedMetadata> TryLoadMetadata(std::string_view name) const;

  // Streams the backup's file list: files_metadata.json, or for a v1 sentinel (has_embedded_files)
  // the sentinel itself, checked against the SHA-256 the sentinel or the object records.
  // Throws kNotFound when neither exists or FilesMetadataDisabled is set.
  void ReadFilesMetadata(std::string_view name, const BackupSentinel& sentinel,
                         const FilesMetadataVisitor& visitor) const;
  FilesMetadata LoadFilesMetadata(std::string_view name, const BackupSentinel& sentinel) const;

  // A small JSON document of backup `backup` (a sentinel, metadata.json) as stored, with one GET,
  // checked against its recorded SHA-256. Throws kNotFound naming the backup and the key,
  // kCorruption when it is too large to be one or does not match its SHA-256.
  std::string ReadDocument(const std::string& key, std::string_view backup) const;
  // Stores `content` under `key` (relative to the root) in one piece, with its SHA-256.
  void WriteDocument(const std::string& key, std::string_view content) const;

  // basebackups_005/<name>/tar_partitions/.
  Folder TarPartitions(std::string_view name) const;

  const Folder& root() const { return root_; }
  // "<storage description>/<root path>" for messages.
  std::string Describe() const;

 private:
  Folder root_;
  std::string storage_name_;
  UnverifiedObjectHandler on_unverified_;  // null: WarnUnverified
};

}  // namespace walnut
