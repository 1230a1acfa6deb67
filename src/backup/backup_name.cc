#include "backup/backup_name.h"

#include <cctype>
#include <cstdio>

#include "pipeline/pipeline.h"

namespace walnut {
namespace {

constexpr size_t kWalNameLength = 24;

bool IsUpperHex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

// Whether text[pos, pos + n) is all upper-case hex.
bool HexRun(std::string_view text, size_t pos, size_t n) {
  if (pos + n > text.size()) return false;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!IsUpperHex(text[i])) return false;
  }
  return true;
}

}  // namespace

std::string FullBackupName(pg::WalSegment start, uint64_t segment_size) {
  return "base_" + pg::WalFileName(start, segment_size);
}

std::string DeltaBackupName(pg::WalSegment start, std::string_view base_name,
                            uint64_t segment_size) {
  return FullBackupName(start, segment_size) + "_D_" + BackupWalFileName(base_name);
}

bool IsBackupName(std::string_view name) {
  constexpr std::string_view kPrefix = "base_";
  if (!name.starts_with(kPrefix) || !HexRun(name, kPrefix.size(), kWalNameLength)) return false;
  size_t pos = kPrefix.size() + kWalNameLength;
  if (name.substr(pos).starts_with("_D_") && HexRun(name, pos + 3, kWalNameLength)) {
    pos += 3 + kWalNameLength;
  }
  if (pos < name.size() && name[pos] == '_' && HexRun(name, pos + 1, 8)) pos += 9;
  return pos == name.size();
}

std::string BackupWalFileName(std::string_view name) {
  size_t run = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    run = IsUpperHex(name[i]) ? run + 1 : 0;
    if (run == kWalNameLength)
      return std::string(name.substr(i + 1 - kWalNameLength, kWalNameLength));
  }
  return "";
}

std::string BackupSentinelKey(std::string_view name) {
  return std::string(kBaseBackupsFolder) + std::string(name) + std::string(kSentinelSuffix);
}

std::string BackupFolderKey(std::string_view name) {
  return std::string(kBaseBackupsFolder) + std::string(name) + "/";
}

std::string BackupMetadataKey(std::string_view name) {
  return BackupFolderKey(name) + std::string(kMetadataFileName);
}

std::string BackupFilesMetadataKey(std::string_view name) {
  return BackupFolderKey(name) + std::string(kFilesMetadataFileName);
}

std::string BackupTarPartitionsKey(std::string_view name) {
  return BackupFolderKey(name) + std::string(kTarPartitionsFolder);
}

std::string TarPartitionName(int number, CompressionMethod method) {
  char base[32];
  std::snprintf(base, sizeof(base), "part_%03d.tar", number);
  return WithExtension(base, method);
}

std::string PgControlTarName(CompressionMethod method) {
  return WithExtension("pg_control.tar", method);
}

std::string BackupLabelTarName(CompressionMethod method) {
  return WithExtension("backup_label.tar", method);
}

}  // namespace walnut
