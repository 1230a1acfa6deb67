#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "backup/backup_metadata_files.h"
#include "common/rfc3339.h"
#include "postgres/lsn.h"

namespace walnut {

// The JSON documents WAL-G writes next to a base backup (WAL-G's BackupSentinelDtoV2 and
// ExtendedMetadataDto, internal/databases/postgres/backup_sentinel_dto.go), as Go's
// encoding/json writes them: LSNs and sizes are JSON numbers, times RFC3339Nano, "omitempty"
// fields left out when empty. Readers ignore unknown fields. Parse errors throw kCorruption
// naming the object key and what is wrong. JSON metadata is stored raw (never compressed or
// encrypted), so these functions take and return the object's bytes.

// WAL-G's DateFmt / date_fmt value.
inline constexpr std::string_view kMetadataDateFormat = "%Y-%m-%dT%H:%M:%S.%fZ";

// Where one tablespace lives: "loc" the real directory, "link" the symlink in PGDATA
// ("pg_tblspc/16384").
struct TablespaceLocation {
  std::string location;
  std::string symlink;
  friend bool operator==(const TablespaceLocation&, const TablespaceLocation&) = default;
};

// The sentinel's "Spec" (WAL-E: "spec"), also the shape of backup-fetch --restore-spec:
// {"base_prefix":"/pgdata","tablespaces":["16384"],"16384":{"loc":"/real/path","link":"pg_tblspc/16384"}}
struct TablespaceSpec {
  std::string base_prefix;
  std::vector<std::string> names;                       // "tablespaces", in the document's order
  std::map<std::string, TablespaceLocation> locations;  // by name; one per entry of `names`
  friend bool operator==(const TablespaceSpec&, const TablespaceSpec&) = default;
};

// basebackups_005/<name>_backup_stop_sentinel.json (BackupSentinelDtoV2). Also reads v1 / WAL-E
// sentinels: "DeltaFromLSN" for DeltaLSN, "spec" for Spec; their embedded "Files"/"TarFileSets"
// are left to ReadFilesMetadata (a v1 sentinel has no files_metadata.json).
struct BackupSentinel {
  pg::Lsn lsn = 0;                   // LSN: the backup's start
  std::optional<pg::Lsn> delta_lsn;  // DeltaLSN: start LSN of the base a delta was taken against
  std::string delta_from;            // DeltaFrom: the immediate base ("" for a full backup)
  std::string delta_full_name;       // DeltaFullName: the full backup at the chain's root
  int delta_count = 0;               // DeltaCount: 1 for the first delta
  int pg_version = 0;                // PgVersion: server_version_num
  pg::Lsn finish_lsn = 0;            // FinishLSN: from pg_backup_stop
  std::optional<uint64_t> system_identifier;
  std::optional<uint32_t> timeline;  // "Timeline": newer WAL-G only; written only when set
  int64_t uncompressed_size = 0;
  int64_t compressed_size = 0;
  int64_t data_catalog_size = 0;       // omitempty
  std::optional<TablespaceSpec> spec;  // "Spec": null when the cluster has no tablespaces
  std::string user_data;               // "UserData": raw JSON text, "" when absent
  bool files_metadata_disabled = false;
  // v2 fields (0 / empty in v1 sentinels).
  int version = 2;
  Timestamp start_time{};
  Timestamp finish_time{};
  std::string date_fmt{kMetadataDateFormat};
  std::string hostname;
  std::string data_dir;
  bool is_permanent = false;  // at push time; metadata.json is authoritative (backup-mark)
  // Whether the document embedded "Files" (v1 / WAL-E): its file list is in the sentinel.
  bool has_embedded_files = false;
  // "WalnutSha256", Walnut's addition (WAL-G ignores unknown fields): the SHA-256 (lower-case
  // hex) of the stored bytes of each object of the backup that was written as a stream, by key
  // relative to the backup's folder ("tar_partitions/part_001.tar.lz4", "files_metadata.json").
  // S3 cannot keep it with a streamed object (metadata goes before the first part), so the
  // sentinel, written last, carries it for every storage. Empty for backups by WAL-G.
  std::map<std::string, std::string> stored_sha256;

  bool IsDelta() const { return !delta_from.empty(); }
  friend bool operator==(const BackupSentinel&, const BackupSentinel&) = default;
};

// basebackups_005/<name>/metadata.json (ExtendedMetadataDto): small, read by backup-list --detail,
// delete and backup-mark.
struct ExtendedMetadata {
  Timestamp start_time{};
  Timestamp finish_time{};
  std::string date_fmt{kMetadataDateFormat};
  std::string hostname;
  std::string data_dir;
  int pg_version = 0;
  pg::Lsn start_lsn = 0;
  pg::Lsn finish_lsn = 0;
  bool is_permanent = false;
  std::optional<uint64_t> system_identifier;  // written as null when unknown, as WAL-G
  std::optional<uint32_t> timeline;           // newer WAL-G only; written only when set
  int64_t uncompressed_size = 0;
  int64_t compressed_size = 0;
  std::string user_data;  // raw JSON text, "" when absent (omitempty)

  friend bool operator==(const ExtendedMetadata&, const ExtendedMetadata&) = default;
};

// Compact JSON as Go's json.Marshal writes it (no whitespace). Throws kInvalidArgument when
// user_data is not valid JSON.
std::string SerializeBackupSentinel(const BackupSentinel& sentinel);
std::string SerializeExtendedMetadata(const ExtendedMetadata& metadata);
std::string SerializeTablespaceSpec(const TablespaceSpec& spec);

// metadata.json as a JSON object, the fields in WAL-G's order (SerializeExtendedMetadata writes
// it out): for listings that show these fields next to others.
nlohmann::ordered_json ExtendedMetadataJson(const ExtendedMetadata& metadata);

// `object_key` names the document in error messages.
BackupSentinel ParseBackupSentinel(std::string_view json, std::string_view object_key);
ExtendedMetadata ParseExtendedMetadata(std::string_view json, std::string_view object_key);
TablespaceSpec ParseTablespaceSpec(std::string_view json, std::string_view object_key);

// The metadata.json WAL-G writes for a sentinel (the fields they share).
ExtendedMetadata MetadataFromSentinel(const BackupSentinel& sentinel);

}  // namespace walnut
