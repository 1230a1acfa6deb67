#include "backup/backup_name.h"

#include <gtest/gtest.h>

namespace walnut {
namespace {

TEST(BackupNameTest, FullAndDeltaNamesAsWalG) {
  EXPECT_EQ(FullBackupName({0x43, 0}), "base_000000430000000000000000");
  const pg::WalSegment start{0x43, pg::LsnToSegment(3325915299880)};
  EXPECT_EQ(FullBackupName(start), "base_000000430000030600000060");
  const pg::WalSegment delta_start{0x43, pg::LsnToSegment(3885536116952)};
  EXPECT_EQ(DeltaBackupName(delta_start, "base_000000430000038500000003"),
            "base_0000004300000388000000AC_D_000000430000038500000003");
  // A delta of a delta names only the WAL part of its immediate base.
  EXPECT_EQ(
      DeltaBackupName(delta_start, "base_0000004300000388000000AC_D_000000430000038500000003"),
      "base_0000004300000388000000AC_D_0000004300000388000000AC");
}

TEST(BackupNameTest, AcceptsWalGsRegex) {
  for (const char* good :
       {"base_000000010000000000000002", "base_0000004300000388000000AC_D_000000430000038500000003",
        "base_000000010000000000000002_00000028",
        "base_000000010000000000000004_D_000000010000000000000002_00000028"}) {
    EXPECT_TRUE(IsBackupName(good)) << good;
  }
  for (const char* bad :
       {"", "base_", "base_00000001000000000000000", "base_0000000100000000000000020",
        "base_00000001000000000000000a", "BASE_000000010000000000000002",
        "base_000000010000000000000002_D_", "base_000000010000000000000002_D_00000001",
        "base_000000010000000000000002_0000002", "base_000000010000000000000002/x", "LATEST"}) {
    EXPECT_FALSE(IsBackupName(bad)) << bad;
  }
}

TEST(BackupNameTest, WalFileNameIsTheFirstHexRun) {
  EXPECT_EQ(BackupWalFileName("base_0000004300000388000000AC_D_000000430000038500000003"),
            "0000004300000388000000AC");
  EXPECT_EQ(BackupWalFileName("base_000000010000000000000002_backup_stop_sentinel.json"),
            "000000010000000000000002");
  EXPECT_EQ(BackupWalFileName("base_0000000100000000000000"), "");
}

TEST(BackupNameTest, ObjectKeysAsWalGLaysThemOut) {
  const std::string name = "base_000000010000000000000002";
  EXPECT_EQ(BackupSentinelKey(name),
            "basebackups_005/base_000000010000000000000002_backup_stop_sentinel.json");
  EXPECT_EQ(BackupFolderKey(name), "basebackups_005/base_000000010000000000000002/");
  EXPECT_EQ(BackupMetadataKey(name), "basebackups_005/base_000000010000000000000002/metadata.json");
  EXPECT_EQ(BackupFilesMetadataKey(name),
            "basebackups_005/base_000000010000000000000002/files_metadata.json");
  EXPECT_EQ(BackupTarPartitionsKey(name),
            "basebackups_005/base_000000010000000000000002/tar_partitions/");
  EXPECT_EQ(TarPartitionName(1, CompressionMethod::kLz4), "part_001.tar.lz4");
  EXPECT_EQ(TarPartitionName(12, CompressionMethod::kZstd), "part_012.tar.zst");
  EXPECT_EQ(TarPartitionName(1234, CompressionMethod::kBrotli), "part_1234.tar.br");
  EXPECT_EQ(TarPartitionName(3, CompressionMethod::kNone), "part_003.tar");
  EXPECT_EQ(PgControlTarName(CompressionMethod::kLzma), "pg_control.tar.lzma");
  EXPECT_EQ(BackupLabelTarName(CompressionMethod::kNone), "backup_label.tar");
}

}  // namespace
}  // namespace walnut
