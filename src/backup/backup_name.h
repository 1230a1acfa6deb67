#pragma once

#include <string>
#include <string_view>

#include "pipeline/compress/compressor.h"
#include "postgres/wal_file_name.h"

namespace walnut {

// WAL-G's base backup layout below the storage root (docs/backup-format.md):
//   basebackups_005/<name>_backup_stop_sentinel.json      the "backup is complete" marker, written
//   last basebackups_005/<name>/metadata.json basebackups_005/<name>/files_metadata.json
//   basebackups_005/<name>/tar_partitions/part_001.tar.lz4, pg_control.tar.lz4,
//   backup_label.tar.lz4
inline constexpr std::string_view kBaseBackupsFolder = "basebackups_005/";
inline constexpr std::string_view kSentinelSuffix = "_backup_stop_sentinel.json";
inline constexpr std::string_view kMetadataFileName = "metadata.json";
inline constexpr std::string_view kFilesMetadataFileName = "files_metadata.json";
inline constexpr std::string_view kTarPartitionsFolder = "tar_partitions/";
// LATEST as a backup-fetch / wal-verify argument: the backup whose sentinel is newest.
inline constexpr std::string_view kLatestBackup = "LATEST";

// "base_" + the WAL file name of the backup's start segment.
std::string FullBackupName(pg::WalSegment start,
                           uint64_t segment_size = pg::kDefaultWalSegmentSize);
// A delta's name: "base_<start>_D_<the 24-hex WAL part of base_name>" (WAL-G's StripWalFileName).
std::string DeltaBackupName(pg::WalSegment start, std::string_view base_name,
                            uint64_t segment_size = pg::kDefaultWalSegmentSize);

// Whether `name` is a backup name as WAL-G accepts it:
// base_[0-9A-F]{24}(_D_[0-9A-F]{24})?(_[0-9A-F]{8})? (the last group: WAL-E's offset suffix).
bool IsBackupName(std::string_view name);

// The first run of 24 upper-case hex digits in `name` (the start segment's WAL file name for a
// backup name), or "" when there is none. As WAL-G's utility.StripWalFileName.
std::string BackupWalFileName(std::string_view name);

// Keys relative to the storage root (a Folder with WALG_STORAGE_PREFIX applied).
std::string BackupSentinelKey(
    std::string_view name);  // basebackups_005/<name>_backup_stop_sentinel.json
std::string BackupFolderKey(std::string_view name);    // basebackups_005/<name>/
std::string BackupMetadataKey(std::string_view name);  // basebackups_005/<name>/metadata.json
std::string BackupFilesMetadataKey(
    std::string_view name);  // basebackups_005/<name>/files_metadata.json
std::string BackupTarPartitionsKey(
    std::string_view name);  // basebackups_005/<name>/tar_partitions/

// Tar object names inside tar_partitions/, with the compression extension (none: no extension).
std::string TarPartitionName(int number, CompressionMethod method);  // part_001.tar.lz4
std::string PgControlTarName(CompressionMethod method);              // pg_control.tar.lz4
std::string BackupLabelTarName(CompressionMethod method);            // backup_label.tar.lz4

}  // namespace walnut
