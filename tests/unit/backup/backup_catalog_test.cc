#include "backup/backup_catalog.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "backup/backup_name.h"
#include "common/error.h"
#include "io/digest.h"
#include "pipeline/content_checksum.h"
#include "storage/memory/memory_storage.h"
#include "support/test_util.h"

namespace walnut {
namespace {

using testing::ExpectError;

class BackupCatalogTest : public ::testing::Test {
 protected:
  // Stores a sentinel (and metadata.json) for `name`; later calls get later LastModified times.
  void AddBackup(const std::string& name, pg::Lsn lsn, const std::string& prefix = "prefix/") {
    BackupSentinel s;
    s.lsn = lsn;
    s.finish_lsn = lsn + 100;
    s.hostname = "h";
    s.start_time = *ParseRfc3339("2025-01-01T00:00:00Z");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    storage_.Commit(prefix + BackupMetadataKey(name),
                    SerializeExtendedMetadata(MetadataFromSentinel(s)));
    storage_.Commit(prefix + BackupSentinelKey(name), SerializeBackupSentinel(s));
  }

  MemoryStorage storage_{"catalog"};
  BackupCatalog catalog_{Folder(storage_, "prefix")};
};

TEST_F(BackupCatalogTest, EmptyStorageHasNoBackups) {
  EXPECT_TRUE(catalog_.List().empty());
  Error e = ExpectError([&] { catalog_.Resolve("LATEST"); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_STREQ(e.what(), "no backups found in memory://catalog/prefix/");
}

TEST_F(BackupCatalogTest, ListsSentinelsByLastModifiedAndIgnoresEverythingElse) {
  AddBackup("base_000000010000000000000009", 9 << 24);
  AddBackup("base_000000010000000000000002", 2 << 24);  // newer, though its name sorts first
  AddBackup("base_000000010000000000000004_D_000000010000000000000002", 4 << 24);
  // Not backups: a backup without its sentinel, data, other roots, a nested sentinel-like name.
  storage_.Commit("prefix/basebackups_005/base_000000010000000000000010/metadata.json", "{}");
  storage_.Commit(
      "prefix/basebackups_005/base_000000010000000000000010/tar_partitions/part_001.tar.lz4", "x");
  storage_.Commit(
      "prefix/basebackups_005/x/base_000000010000000000000011_backup_stop_sentinel.json", "{}");
  storage_.Commit("prefix/wal_005/000000010000000000000002.lz4", "x");
  storage_.Commit("other/basebackups_005/base_000000010000000000000012_backup_stop_sentinel.json",
                  "{}");
  AddBackup("base_000000010000000000000013", 13 << 24, "other/");

  std::vector<BackupListEntry> backups = catalog_.List();
  ASSERT_EQ(backups.size(), 3u);
  EXPECT_EQ(backups[0].name, "base_000000010000000000000009");
  EXPECT_EQ(backups[1].name, "base_000000010000000000000002");
  EXPECT_EQ(backups[2].name, "base_000000010000000000000004_D_000000010000000000000002");
  EXPECT_EQ(backups[2].wal_file_name, "000000010000000000000004");
  EXPECT_EQ(backups[2].storage_name, "default");
  EXPECT_LT(backups[0].modified, backups[1].modified);
  EXPECT_EQ(
      backups[1].modified,
      Timestamp(
          storage_.Stat("prefix/" + BackupSentinelKey("base_000000010000000000000002"))->mtime));

  // LATEST is the newest sentinel, not the greatest name.
  EXPECT_EQ(catalog_.Resolve("LATEST").name,
            "base_000000010000000000000004_D_000000010000000000000002");
  EXPECT_EQ(catalog_.Resolve("base_000000010000000000000009").modified, backups[0].modified);
}

TEST_F(BackupCatalogTest, UnknownNameIsAClearNotFound) {
  AddBackup("base_000000010000000000000009", 9 << 24);
  Error e = ExpectError([&] { catalog_.Resolve("base_000000010000000000000010"); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_STREQ(e.what(),
               "backup 'base_000000010000000000000010' not found in memory://catalog/prefix/; run "
               "backup-list");
  // A backup whose data is there but whose sentinel is not (an interrupted push) does not exist.
  storage_.Commit("prefix/" + BackupMetadataKey("base_000000010000000000000011"), "{}");
  EXPECT_EQ(ExpectError([&] { catalog_.LoadSentinel("base_000000010000000000000011"); }).code(),
            ErrorCode::kNotFound);
}

TEST_F(BackupCatalogTest, LoadsTheDocuments) {
  AddBackup("base_000000010000000000000009", 9 << 24);
  const std::string name = "base_000000010000000000000009";
  BackupSentinel s = catalog_.LoadSentinel(name);
  EXPECT_EQ(s.lsn, 9u << 24);
  EXPECT_EQ(catalog_.LoadMetadata(name).finish_lsn, (9u << 24) + 100);
  EXPECT_TRUE(catalog_.TryLoadMetadata(name));
  EXPECT_EQ(catalog_.TarPartitions(name).path(),
            "prefix/basebackups_005/base_000000010000000000000009/tar_partitions/");

  // files_metadata.json missing: NotFound naming the object.
  Error e = ExpectError([&] { catalog_.LoadFilesMetadata(name, s); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_NE(std::string(e.what()).find(
                "prefix/basebackups_005/base_000000010000000000000009/files_metadata.json"),
            std::string::npos)
      << e.what();
  storage_.Commit(
      "prefix/" + BackupFilesMetadataKey(name),
      R"({"Files":{"/PG_VERSION":{"IsIncremented":false,"IsSkipped":false,"MTime":"2025-01-01T00:00:00Z"}}})");
  EXPECT_EQ(catalog_.LoadFilesMetadata(name, s).files.size(), 1u);

  s.files_metadata_disabled = true;
  EXPECT_EQ(ExpectError([&] { catalog_.LoadFilesMetadata(name, s); }).code(), ErrorCode::kNotFound);

  // Corrupt documents: kCorruption naming the full key.
  storage_.Commit("prefix/" + BackupMetadataKey(name), "{\"start_lsn\":\"x\"}");
  e = ExpectError([&] { catalog_.LoadMetadata(name); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find(
                "prefix/basebackups_005/base_000000010000000000000009/metadata.json"),
            std::string::npos);
}

TEST_F(BackupCatalogTest, V1SentinelCarriesItsFileList) {
  const std::string name = "base_000000010000000000000003";
  storage_.Commit(
      "prefix/" + BackupSentinelKey(name),
      R"({"LSN":50331688,"Files":{"/PG_VERSION":{"IsIncremented":false,"IsSkipped":false,)"
      R"("MTime":"2019-01-01T00:00:00Z"}},"PgVersion":100000,"FinishLSN":50331900})");
  BackupSentinel s = catalog_.LoadSentinel(name);
  EXPECT_TRUE(s.has_embedded_files);
  EXPECT_FALSE(catalog_.TryLoadMetadata(name));
  FilesMetadata files = catalog_.LoadFilesMetadata(name, s);
  EXPECT_EQ(files.files.count("/PG_VERSION"), 1u);
}

TEST_F(BackupCatalogTest, DocumentsCarryTheirSha256AndADamagedOneIsRefused) {
  const std::string name = "base_000000010000000000000009";
  BackupSentinel s;
  s.lsn = 150994944;
  const std::string text = SerializeBackupSentinel(s);
  catalog_.WriteDocument(BackupSentinelKey(name), text);
  const std::string key = "prefix/" + BackupSentinelKey(name);
  EXPECT_EQ(storage_.Stat(key)->metadata.at(kContentSha256Metadata),
            Digest::Of(AsBytes(text)).Hex());
  EXPECT_EQ(catalog_.LoadSentinel(name).lsn, 150994944u);

  // One digit changed: still valid JSON, a wrong start LSN. Only the checksum can tell.
  std::string damaged = text;
  damaged.replace(damaged.find("150994944"), 9, "150994945");
  storage_.Commit(key, damaged, storage_.Stat(key)->metadata);
  Error e = ExpectError([&] { catalog_.LoadSentinel(name); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find("memory://catalog/" + key +
                                       ": content does not match its recorded SHA-256"),
            std::string::npos)
      << e.what();
}

TEST_F(BackupCatalogTest, DocumentsWithoutSha256AreReportedToTheHandler) {
  AddBackup("base_000000010000000000000009", 9 << 24);  // stored raw, as WAL-G does
  std::vector<std::string> unverified;
  BackupCatalog catalog =
      catalog_.WithUnverifiedHandler([&](const std::string& object, const std::string& why) {
        unverified.push_back(object + ": " + why);
      });
  catalog.LoadSentinel("base_000000010000000000000009");
  catalog.LoadMetadata("base_000000010000000000000009");
  ASSERT_EQ(unverified.size(), 2u);
  EXPECT_NE(unverified[0].find("base_000000010000000000000009_backup_stop_sentinel.json: content "
                               "could not be verified"),
            std::string::npos)
      << unverified[0];
}

TEST_F(BackupCatalogTest, FilesMetadataIsCheckedAgainstTheSentinelsRecord) {
  // S3 cannot keep the digest of a streamed files_metadata.json; the sentinel does.
  const std::string name = "base_000000010000000000000009";
  const std::string key = "prefix/" + BackupFilesMetadataKey(name);
  const std::string files =
      R"({"Files":{"/PG_VERSION":{"IsIncremented":false,"IsSkipped":false,"MTime":"2025-01-01T00:00:00Z"}}})";
  storage_.Commit(key, files);  // no metadata
  BackupSentinel s;
  s.lsn = 1;
  s.stored_sha256[std::string(kFilesMetadataFileName)] = Digest::Of(AsBytes(files)).Hex();
  std::vector<std::string> unverified;
  BackupCatalog catalog = catalog_.WithUnverifiedHandler(
      [&](const std::string& object, const std::string&) { unverified.push_back(object); });
  EXPECT_EQ(catalog.LoadFilesMetadata(name, s).files.size(), 1u);
  EXPECT_TRUE(unverified.empty());

  // A byte damaged inside a path: valid JSON, wrong content.
  std::string damaged = files;
  damaged.replace(damaged.find("PG_VERSION"), 2, "PH");
  storage_.Commit(key, damaged);
  Error e = ExpectError([&] { catalog.LoadFilesMetadata(name, s); });
  EXPECT_NE(std::string(e.what()).find("content does not match its recorded SHA-256"),
            std::string::npos)
      << e.what();

  // Damage that breaks the JSON: the checksum still names what happened.
  damaged = files;
  damaged[20] = '\x01';
  storage_.Commit(key, damaged);
  e = ExpectError([&] { catalog.LoadFilesMetadata(name, s); });
  EXPECT_NE(std::string(e.what()).find("content does not match its recorded SHA-256"),
            std::string::npos)
      << e.what();
}

}  // namespace
}  // namespace walnut
