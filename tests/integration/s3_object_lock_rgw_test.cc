// Object Lock, versioned buckets and SSE-C against a real S3: Ceph's RADOS Gateway, which keeps
// versions, enforces retention (GOVERNANCE and COMPLIANCE) and checks customer keys the way AWS
// does. Skipped unless the WALNUT_IT_RGW_* variables are set (ctest's RGW fixture sets them; a
// build with WALNUT_TEST_RGW=ON fails instead). Each test makes its own bucket.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "storage/folder.h"
#include "storage/s3/s3_client.h"
#include "storage/s3/s3_storage.h"
#include "storage/s3/s3_versions_xml.h"
#include "support/backup_history.h"
#include "support/rgw_bucket.h"
#include "support/test_util.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

// A config whose storage is `bucket` under the root "pg".
std::unique_ptr<WalnutConfig> ConfigFor(const RgwBucket& bucket) {
  auto config = std::make_unique<WalnutConfig>(TestStorage::kDirectory);
  config->Unset("WALG_FILE_PREFIX");
  for (const auto& [name, value] : bucket.Settings("pg")) config->Set(name, value);
  return config;
}

// Each test makes its own bucket (support/rgw_bucket.h), emptied and deleted at its end.
class RgwTest : public ::testing::Test {
 protected:
  void SetUp() override { WALNUT_SKIP_WITHOUT_RGW(); }
  // Every version below `prefix` of the bucket.
  static std::vector<ObjectVersion> Versions(const RgwBucket& bucket, const std::string& prefix) {
    s3::S3Storage storage(bucket.Options());
    std::vector<ObjectVersion> out;
    storage.ListVersions(prefix, [&](const ObjectVersion& v) { out.push_back(v); });
    return out;
  }
  // GetObjectRetention of the current version of `key`: "MODE until".
  static std::string Retention(const RgwBucket& bucket, const std::string& key) {
    s3::S3Client client(bucket.Options());
    s3::S3Call call;
    call.op = "GetObjectRetention";
    call.method = "GET";
    call.key = key;
    call.query = {{"retention", ""}};
    return client.SendWithRetries(call).body;
  }
};

std::string Describe(const CommandResult& r) {
  return fmt::format("exit {}\nstdout:\n{}\nstderr:\n{}", r.exit_code, r.out, r.err);
}

TEST_F(RgwTest, EveryUploadIsLockedAndDeleteCountsLockedObjectsWithoutReportingThemDeleted) {
  RgwBucket bucket(*RgwFromEnv(), "lock", {.object_lock = true});
  auto config = ConfigFor(bucket);
  config->Set("S3_RETENTION_PERIOD", "1");
  config->Set("S3_RETENTION_MODE", "GOVERNANCE");
  BackupSource source;
  source.StartArchiving(*config);
  const std::string locked_backup = source.Push(*config);
  // The next backup and its WAL go unlocked: retention then deletes only what is not locked.
  config->Unset("S3_RETENTION_PERIOD");
  config->Unset("S3_RETENTION_MODE");
  source.ArchiveAll();
  const std::string newest = source.Push(*config);

  // Every object of the first backup carries the lock, with a date a day away.
  const std::string sentinel =
      fmt::format("pg/basebackups_005/{}_backup_stop_sentinel.json", locked_backup);
  std::string retention = Retention(bucket, sentinel);
  EXPECT_NE(retention.find("<Mode>GOVERNANCE</Mode>"), std::string::npos) << retention;
  auto until = s3::ParseRetainUntil(retention);
  ASSERT_TRUE(until.has_value()) << retention;
  EXPECT_GT(*until, std::chrono::system_clock::now() + std::chrono::hours(23));

  CommandResult r = config->Run("delete retain 1 --confirm");
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_NE(r.err.find("objects were not deleted and 1 backup kept whole"), std::string::npos)
      << Describe(r);
  EXPECT_NE(r.err.find("Object Lock keeps them until 20"), std::string::npos) << Describe(r);
  EXPECT_NE(r.err.find(fmt::format("kept backup {}: its sentinel is locked", locked_backup)),
            std::string::npos)
      << Describe(r);
  EXPECT_EQ(r.err.find(fmt::format("deleted backup {}", locked_backup)), std::string::npos)
      << Describe(r);
  // Both backups are still listed, and the locked one's sentinel is still there.
  EXPECT_EQ(BackupNames(*config), (std::vector<std::string>{locked_backup, newest}));
  bool sentinel_there = false;
  for (const ObjectVersion& v : Versions(bucket, sentinel)) {
    sentinel_there = sentinel_there || (v.key == sentinel && v.is_latest && !v.is_delete_marker);
  }
  EXPECT_TRUE(sentinel_there);
}

TEST_F(RgwTest, ComplianceModeLocksAndALockedObjectIsNamedWhenRemoved) {
  RgwBucket bucket(*RgwFromEnv(), "comply", {.object_lock = true});
  auto config = ConfigFor(bucket);
  config->Set("S3_RETENTION_PERIOD", "1");
  config->Set("S3_RETENTION_MODE", "compliance");
  CommandResult put = config->Run("st put --no-compress --no-encrypt -s data/x", "abc");
  ASSERT_EQ(put.exit_code, 0) << Describe(put);
  std::string retention = Retention(bucket, "pg/data/x");
  EXPECT_NE(retention.find("<Mode>COMPLIANCE</Mode>"), std::string::npos) << retention;
  // A multipart object is locked too (RGW 16 ignores CreateMultipartUpload's lock headers: Walnut
  // sets the retention after completing it).
  config->Set("WALG_S3_MAX_PART_SIZE", "5242880");
  CommandResult big = config->Run("st put --no-compress --no-encrypt -s data/big",
                                  RandomBytes((5u << 20) * 2 + 1, 6));
  ASSERT_EQ(big.exit_code, 0) << Describe(big);
  retention = Retention(bucket, "pg/data/big");
  EXPECT_NE(retention.find("<Mode>COMPLIANCE</Mode>"), std::string::npos) << retention;
  CommandResult rm = config->Run("st rm data/x");
  EXPECT_EQ(rm.exit_code, 1) << Describe(rm);
  EXPECT_NE(rm.err.find("data/x"), std::string::npos) << Describe(rm);
  EXPECT_NE(rm.err.find("locked by the bucket's Object Lock retention until 20"), std::string::npos)
      << Describe(rm);
  CommandResult get = config->Run("st cat data/x");
  EXPECT_EQ(get.exit_code, 0) << Describe(get);
  EXPECT_EQ(get.out, "abc");
}

TEST_F(RgwTest, DeleteOnAVersionedBucketFreesEveryVersion) {
  RgwBucket bucket(*RgwFromEnv(), "versions", {.versioning = true});
  auto config = ConfigFor(bucket);
  BackupSource source;
  source.StartArchiving(*config);
  const std::string oldest = source.Push(*config);
  source.ArchiveAll();
  const std::string newest = source.Push(*config);
  // A second version of the oldest backup's sentinel (backup-mark rewrites its metadata).
  ASSERT_EQ(config->Run("backup-mark " + oldest).exit_code, 0);
  ASSERT_EQ(config->Run("backup-mark -i " + oldest).exit_code, 0);
  const std::string folder = fmt::format("pg/basebackups_005/{}", oldest);
  ASSERT_GE(Versions(bucket, folder).size(), 3u);

  CommandResult r = config->Run("delete retain 1 --confirm");
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(BackupNames(*config), std::vector<std::string>{newest});
  // Not one version nor delete marker of the deleted backup is left: its space is free.
  for (const ObjectVersion& v : Versions(bucket, folder)) {
    ADD_FAILURE() << "left behind: " << v.key << " version " << v.version_id
                  << (v.is_delete_marker ? " (delete marker)" : "");
  }
  // st ls --all-versions shows ids and markers; st rm --all-versions clears a whole folder.
  CommandResult ls = config->Run("st ls --all-versions basebackups_005");
  ASSERT_EQ(ls.exit_code, 0) << Describe(ls);
  EXPECT_NE(ls.out.find("version id"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find(newest), std::string::npos) << ls.out;
  CommandResult rm = config->Run("st rm --all-versions basebackups_005/" + newest);
  ASSERT_EQ(rm.exit_code, 0) << Describe(rm);
  EXPECT_TRUE(Versions(bucket, "pg/basebackups_005/" + newest).empty());
}

TEST_F(RgwTest, WithVersioningForcedOffDeleteLeavesVersionsAndStRmVersionIdRemovesOne) {
  RgwBucket bucket(*RgwFromEnv(), "versoff", {.versioning = true});
  auto config = ConfigFor(bucket);
  config->Set("S3_ENABLE_VERSIONING", "disabled");
  ASSERT_EQ(config->Run("st put --no-compress --no-encrypt -s k", "v1").exit_code, 0);
  ASSERT_EQ(config->Run("st put --no-compress --no-encrypt -f -s k", "v2").exit_code, 0);
  ASSERT_EQ(config->Run("st rm k").exit_code, 0);
  std::vector<ObjectVersion> left = Versions(bucket, "pg/k");
  ASSERT_EQ(left.size(), 3u) << "two versions and a delete marker";
  EXPECT_TRUE(left[0].is_delete_marker);
  CommandResult rm = config->Run("st rm --version-id " + left[1].version_id + " k");
  ASSERT_EQ(rm.exit_code, 0) << Describe(rm);
  EXPECT_EQ(Versions(bucket, "pg/k").size(), 2u);
  CommandResult bogus = config->Run("st rm --version-id no-such-version k");
  EXPECT_EQ(bogus.exit_code, 1) << Describe(bogus);
  EXPECT_NE(bogus.err.find("has no version 'no-such-version'"), std::string::npos)
      << Describe(bogus);
}

TEST_F(RgwTest, SseCustomerKeyEncryptsAndTheKeyIsNeededToRead) {
  RgwBucket bucket(*RgwFromEnv(), "ssec");
  auto config = ConfigFor(bucket);
  const std::string key = "walnut-test-key-32-bytes-long!!!";
  config->Set("WALG_S3_SSE_C", key);
  config->Set("WALG_S3_MAX_PART_SIZE", "5242880");
  const std::string data = RandomBytes((5u << 20) * 2 + 100, 5);  // three parts
  ASSERT_EQ(config->Run("st put --no-compress --no-encrypt -s big", data).exit_code, 0);
  CommandResult cat = config->Run("st cat big");
  ASSERT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_TRUE(cat.out == data);
  config->Unset("WALG_S3_SSE_C");
  CommandResult without = config->Run("st cat big");
  EXPECT_NE(without.exit_code, 0);
  EXPECT_NE(without.err.find("big"), std::string::npos) << without.err;
  config->Set("WALG_S3_SSE_C", "another-key-of-32-bytes-exactly!");
  CommandResult wrong = config->Run("st cat big");
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_EQ(wrong.err.find(key), std::string::npos) << wrong.err;
}

}  // namespace
}  // namespace walnut::testing
