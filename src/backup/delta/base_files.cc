#include "backup/delta/base_files.h"

#include <fmt/format.h>

#include "common/error.h"

namespace walnut {

BaseFiles BaseFiles::Load(const BackupCatalog& catalog, const std::string& name,
                          const BackupSentinel& sentinel) {
  if (sentinel.files_metadata_disabled) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("backup {} was taken --without-files-metadata: a delta backup needs "
                            "its base's file list; take a full backup with --full",
                            name));
  }
  // Without a start time (v1 sentinels) no file counts as unchanged: each one is read again.
  BaseFiles files(sentinel.start_time);
  FilesMetadataVisitor visitor;
  visitor.on_file = [&](const std::string& path, const BackupFileDescription& file) {
    files.Add(path, file.mtime, file.size);
  };
  catalog.ReadFilesMetadata(name, sentinel, visitor);
  return files;
}

void BaseFiles::Add(std::string path, Timestamp mtime, std::optional<int64_t> size) {
  files_[std::move(path)] = File{mtime, size};
}

bool BaseFiles::Unchanged(const WalkedEntry& entry) const {
  auto it = files_.find(entry.header.name);
  if (it == files_.end()) return false;
  const File& base = it->second;
  if (base.size && *base.size != static_cast<int64_t>(entry.header.size)) return false;
  return base.mtime == entry.mtime && entry.mtime + kUnchangedMtimeMargin < base_start_;
}

}  // namespace walnut
