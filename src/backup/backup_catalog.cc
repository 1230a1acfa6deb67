#include "backup/backup_catalog.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "backup/backup_name.h"
#include "common/error.h"
#include "pipeline/stored_document.h"

namespace walnut {
namespace {

// Sentinels and metadata.json are a few KB; a v1 sentinel embeds the file list, so allow more.
constexpr size_t kMaxDocumentSize = 1024_MiB;

}  // namespace

BackupCatalog::BackupCatalog(Folder root, std::string storage_name)
    : root_(std::move(root)), storage_name_(std::move(storage_name)) {}

BackupCatalog BackupCatalog::WithUnverifiedHandler(UnverifiedObjectHandler handler) const {
  BackupCatalog copy = *this;
  copy.on_unverified_ = std::move(handler);
  return copy;
}

std::string BackupCatalog::Describe() const {
  std::string text = root_.storage().Describe();
  if (!root_.path().empty()) text = JoinKey(text, root_.path());
  return text;
}

std::vector<BackupListEntry> BackupCatalog::List() const {
  std::vector<BackupListEntry> backups;
  root_.List(kBaseBackupsFolder, ListOptions{.recursive = false}, [&](const ObjectInfo& info) {
    if (info.is_prefix) return;
    std::string_view key = info.key;
    key.remove_prefix(std::min(key.size(), kBaseBackupsFolder.size()));
    if (!key.ends_with(kSentinelSuffix)) return;
    key.remove_suffix(kSentinelSuffix.size());
    if (key.empty() || key.find('/') != std::string_view::npos) return;
    backups.push_back(BackupListEntry{std::string(key), Timestamp(info.mtime),
                                      BackupWalFileName(key), storage_name_});
  });
  std::sort(backups.begin(), backups.end(), [](const BackupListEntry& a, const BackupListEntry& b) {
    return a.modified != b.modified ? a.modified < b.modified : a.name < b.name;
  });
  return backups;
}

BackupListEntry BackupCatalog::Resolve(std::string_view name_or_latest) const {
  if (name_or_latest == kLatestBackup) {
    std::vector<BackupListEntry> backups = List();
    if (backups.empty()) throw Error(ErrorCode::kNotFound, "no backups found in " + Describe());
    return backups.back();
  }
  const std::string name(name_or_latest);
  auto info = root_.Stat(BackupSentinelKey(name));
  if (!info) {
    throw Error(ErrorCode::kNotFound,
                "backup '" + name + "' not found in " + Describe() + "; run backup-list");
  }
  return BackupListEntry{name, Timestamp(info->mtime), BackupWalFileName(name), storage_name_};
}

std::string BackupCatalog::ReadDocument(const std::string& key, std::string_view backup) const {
  try {
    // A missing object may be reported at Get or at the first Read: both are caught here, so
    // that callers need no Stat before the Get.
    return GetDocument(root_, key, kMaxDocumentSize, on_unverified_);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound) throw;
    throw Error(ErrorCode::kNotFound, "backup '" + std::string(backup) + "': " + root_.Key(key) +
                                          " not found in " + root_.storage().Describe());
  }
}

void BackupCatalog::WriteDocument(const std::string& key, std::string_view content) const {
  PutDocument(root_, key, content);
}

BackupSentinel BackupCatalog::LoadSentinel(std::string_view name) const {
  const std::string key = BackupSentinelKey(name);
  std::string text;
  try {
    text = ReadDocument(key, name);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound) throw;
    throw Error(ErrorCode::kNotFound, "backup '" + std::string(name) + "' not found in " +
                                          Describe() + "; run backup-list");
  }
  return ParseBackupSentinel(text, root_.Key(key));
}

ExtendedMetadata BackupCatalog::LoadMetadata(std::string_view name) const {
  const std::string key = BackupMetadataKey(name);
  return ParseExtendedMetadata(ReadDocument(key, name), root_.Key(key));
}

std::optional<ExtendedMetadata> BackupCatalog::TryLoadMetadata(std::string_view name) const {
  const std::string key = BackupMetadataKey(name);
  std::string text;
  try {
    text = ReadDocument(key, name);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound) throw;
    return std::nullopt;
  }
  return ParseExtendedMetadata(text, root_.Key(key));
}

void BackupCatalog::ReadFilesMetadata(std::string_view name, const BackupSentinel& sentinel,
                                      const FilesMetadataVisitor& visitor) const {
  if (sentinel.files_metadata_disabled) {
    throw Error(ErrorCode::kNotFound,
                "backup '" + std::string(name) +
                    "' was taken without files metadata (FilesMetadataDisabled)");
  }
  const std::string key =
      sentinel.has_embedded_files ? BackupSentinelKey(name) : BackupFilesMetadataKey(name);
  // files_metadata.json is streamed at backup-push: its SHA-256 is in the sentinel. A v1
  // sentinel was read (and checked) whole already.
  std::optional<std::string> expected;
  if (auto it = sentinel.stored_sha256.find(std::string(kFilesMetadataFileName));
      !sentinel.has_embedded_files && it != sentinel.stored_sha256.end()) {
    expected = it->second;
  }
  std::unique_ptr<Reader> reader;
  try {
    reader = OpenDocument(root_, key, expected, on_unverified_);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound) throw;
    throw Error(ErrorCode::kNotFound, "backup '" + std::string(name) + "': " + root_.Key(key) +
                                          " not found in " + root_.storage().Describe());
  }
  try {
    walnut::ReadFilesMetadata(*reader, root_.Key(key), visitor);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kCorruption) throw;
    // Damage breaks the JSON before its end; the rest of the stream tells whether the object
    // differs from what was stored (the more useful message then).
    std::string rest(64_KiB, '\0');
    while (reader->Read(AsWritableBytes(rest)) != 0) {
    }
    throw;
  }
}

FilesMetadata BackupCatalog::LoadFilesMetadata(std::string_view name,
                                               const BackupSentinel& sentinel) const {
  FilesMetadata result;
  ReadFilesMetadata(name, sentinel, CollectFilesMetadata(result));
  return result;
}

Folder BackupCatalog::TarPartitions(std::string_view name) const {
  return root_.Sub(BackupTarPartitionsKey(name));
}

std::string BackupCatalog::FindByUserData(std::string_view user_data_json,
                                          std::string_view setting) const {
  nlohmann::json wanted = nlohmann::json::parse(user_data_json, nullptr, false);
  if (wanted.is_discarded()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} is not valid JSON: {}", setting, user_data_json));
  }
  std::vector<std::string> matches;
  for (const BackupListEntry& entry : List()) {
    BackupSentinel sentinel = LoadSentinel(entry.name);
    if (sentinel.user_data.empty()) continue;
    nlohmann::json data = nlohmann::json::parse(sentinel.user_data, nullptr, false);
    if (!data.is_discarded() && data == wanted) matches.push_back(entry.name);
  }
  if (matches.empty()) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("no backup in {} has user data {}", Describe(), user_data_json));
  }
  if (matches.size() > 1) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} backups have user data {}: {}", matches.size(), user_data_json,
                            fmt::join(matches, ", ")));
  }
  return matches.front();
}

}  // namespace walnut
