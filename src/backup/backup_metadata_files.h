#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/rfc3339.h"
#include "io/reader.h"
#include "io/writer.h"

namespace walnut {

// basebackups_005/<name>/files_metadata.json (WAL-G's FilesMetadataDto,
// internal/databases/postgres/backup_sentinel_dto.go):
//   {"Files":{"/base/1/1259":{"IsIncremented":false,"IsSkipped":false,"MTime":"...","UpdatesCount":0},...},
//    "TarFileSets":{"part_001.tar.lz4":["/base/1/1259",...],...},
//    "DatabasesByNames":{...}}
// It can hold millions of entries (more than 1 GB), so it is written and read as a stream.

// CorruptBlocks of a file whose page checksums failed (backup-push --verify).
struct CorruptBlocksInfo {
  int64_t count = 0;                  // CorruptBlocksCount
  std::vector<uint32_t> some_blocks;  // SomeCorruptBlocks (the first ones, sorted)
  friend bool operator==(const CorruptBlocksInfo&, const CorruptBlocksInfo&) = default;
};

// One "Files" entry. Keys are paths relative to PGDATA with a leading '/'; directories are
// entries too.
struct BackupFileDescription {
  bool is_incremented = false;  // content is a WAL-G increment (delta backups)
  bool is_skipped = false;      // unchanged since the base backup: no content in this backup
  Timestamp mtime{};            // exact: delta backups compare it for equality
  std::optional<CorruptBlocksInfo> corrupt_blocks;  // omitempty
  uint64_t updates_count = 0;
  // Walnut additions, ignored by WAL-G's readers ("omitempty"): the whole file's size on disk and
  // the SHA-256 (lower-case hex) of the bytes stored for it, when the file was read in full.
  std::optional<int64_t> size;
  std::string sha256;
  friend bool operator==(const BackupFileDescription&, const BackupFileDescription&) = default;
};

// The whole document in memory: for small backups and tests. Prefer the streaming interfaces.
struct FilesMetadata {
  std::map<std::string, BackupFileDescription> files;
  std::map<std::string, std::vector<std::string>> tar_file_sets;
  std::string databases_by_names;  // raw JSON text, "" when absent
  friend bool operator==(const FilesMetadata&, const FilesMetadata&) = default;
};

// Writes files_metadata.json to `out` entry by entry. Memory: one 64 KiB output buffer, whatever
// the number of entries (nothing is kept per entry, so duplicate paths are the caller's bug).
// Order of calls: AddFile*, then AddTarFileSet*, then optionally SetDatabasesByNames, then Finish.
// Finish() completes the JSON and flushes; it does not Close() `out` (the caller commits).
// Not thread-safe.
class FilesMetadataWriter {
 public:
  explicit FilesMetadataWriter(Writer& out);
  FilesMetadataWriter(const FilesMetadataWriter&) = delete;
  FilesMetadataWriter& operator=(const FilesMetadataWriter&) = delete;

  void AddFile(std::string_view path, const BackupFileDescription& file);
  void AddTarFileSet(std::string_view tar_name, std::span<const std::string> paths);
  // `json`: a raw JSON object; throws kInvalidArgument if it does not parse.
  void SetDatabasesByNames(std::string_view json);
  void Finish();

 private:
  enum class Section { kFiles, kTarFileSets, kDone };
  void EnterTarFileSets();
  void Append(std::string_view text);
  void Flush();

  Writer& out_;
  std::string buffer_;
  Section section_ = Section::kFiles;
  bool first_in_section_ = true;
};

// What ReadFilesMetadata reports, one call per entry, in document order. Empty functions are
// not called.
struct FilesMetadataVisitor {
  std::function<void(const std::string& path, const BackupFileDescription& file)> on_file;
  std::function<void(const std::string& tar_name, const std::vector<std::string>& paths)>
      on_tar_file_set;
  std::function<void(const std::string& json)> on_databases_by_names;
};

// Streams files_metadata.json (or the "Files"/"TarFileSets" embedded in a v1 sentinel; other
// top-level keys are ignored) from `in`. Memory: one entry (one tar's path list) at a time plus
// the parser's small read buffer. Throws kCorruption naming `object_key` on malformed JSON or a
// field of the wrong type.
void ReadFilesMetadata(Reader& in, std::string_view object_key,
                       const FilesMetadataVisitor& visitor);

// A visitor that fills `out` (the whole document in memory, proportional to the number of files).
FilesMetadataVisitor CollectFilesMetadata(FilesMetadata& out);

// Convenience: the whole document in memory (proportional to the number of files).
FilesMetadata ReadFilesMetadata(Reader& in, std::string_view object_key);
void WriteFilesMetadata(const FilesMetadata& metadata, Writer& out);  // does not Close `out`

}  // namespace walnut
