// Object Lock, versioned buckets and SSE-C against a real S3: Ceph's RADOS Gateway, which keeps
// versions, enforces retention (GOVERNANCE and COMPLIANCE) and checks customer keys the way AWS
// does. Skipped unless WALNUT_IT_RGW_ENDPOINT, WALNUT_IT_RGW_ACCESS_KEY and
// WALNUT_IT_RGW_SECRET_KEY are set (CI sets them). Each test makes its own bucket.

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/error.h"
#include "storage/folder.h"
#include "storage/s3/s3_client.h"
#include "storage/s3/s3_storage.h"
#include "storage/s3/s3_versions_xml.h"
#include "support/backup_history.h"
#include "support/test_util.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

using s3::S3Options;

struct Rgw {
  std::string endpoint, access_key, secret_key, region;
};

std::optional<Rgw> RgwFromEnvironment() {
  auto get = [](const char* name) {
    const char* value = std::getenv(name);
    return std::string(value ? value : "");
  };
  Rgw rgw{get("WALNUT_IT_RGW_ENDPOINT"), get("WALNUT_IT_RGW_ACCESS_KEY"),
          get("WALNUT_IT_RGW_SECRET_KEY"), get("WALNUT_IT_RGW_REGION")};
  if (rgw.endpoint.empty() || rgw.access_key.empty() || rgw.secret_key.empty()) {
    return std::nullopt;
  }
  if (rgw.region.empty()) rgw.region = "us-east-1";
  return rgw;
}

S3Options OptionsFor(const Rgw& rgw, const std::string& bucket) {
  S3Options o;
  o.endpoint = rgw.endpoint;
  o.bucket = bucket;
  o.region = rgw.region;
  o.force_path_style = true;
  o.access_key_id = rgw.access_key;
  o.secret_access_key = SecretString(rgw.secret_key);
  o.retry.base_delay = std::chrono::milliseconds(20);
  return o;
}

// Makes a bucket of its own for a test, with versioning or Object Lock (which turns versioning
// on) as asked. Until the tests/support helper for RGW buckets lands, with the S3 client directly.
std::string MakeBucket(const Rgw& rgw, const std::string& what, bool versioning, bool object_lock) {
  static std::atomic<int> counter{0};
  std::string bucket = fmt::format("walnut-{}-{}-{}", what, getpid(), counter++);
  s3::S3Client client(OptionsFor(rgw, bucket));
  s3::S3Call create;
  create.op = "CreateBucket";
  create.method = "PUT";
  if (object_lock) create.headers = {{"x-amz-bucket-object-lock-enabled", "true"}};
  client.SendWithRetries(create);
  if (versioning && !object_lock) {
    std::string body =
        "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>";
    s3::S3Call enable;
    enable.op = "PutBucketVersioning";
    enable.method = "PUT";
    enable.query = {{"versioning", ""}};
    enable.body = AsBytes(body);
    client.SendWithRetries(enable);
  }
  return bucket;
}

// A config whose storage is `bucket` on RGW (a fresh prefix in it).
std::unique_ptr<WalnutConfig> ConfigFor(const Rgw& rgw, const std::string& bucket) {
  auto config = std::make_unique<WalnutConfig>(TestStorage::kDirectory);
  config->Unset("WALG_FILE_PREFIX");
  config->Set("WALG_S3_PREFIX", fmt::format("s3://{}/pg", bucket));
  config->Set("AWS_ENDPOINT", rgw.endpoint);
  config->Set("AWS_S3_FORCE_PATH_STYLE", "true");
  config->Set("AWS_ACCESS_KEY_ID", rgw.access_key);
  config->Set("AWS_SECRET_ACCESS_KEY", rgw.secret_key);
  config->Set("AWS_REGION", rgw.region);
  return config;
}

class RgwTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rgw = RgwFromEnvironment();
    if (!rgw) GTEST_SKIP() << "WALNUT_IT_RGW_* not set: no Ceph RGW to test against";
    rgw_ = *rgw;
  }
  // Every version below `prefix` of the bucket.
  std::vector<ObjectVersion> Versions(const std::string& bucket, const std::string& prefix) {
    s3::S3Storage storage(OptionsFor(rgw_, bucket));
    std::vector<ObjectVersion> out;
    storage.ListVersions(prefix, [&](const ObjectVersion& v) { out.push_back(v); });
    return out;
  }
  // GetObjectRetention of the current version of `key`: "MODE until".
  std::string Retention(const std::string& bucket, const std::string& key) {
    s3::S3Client client(OptionsFor(rgw_, bucket));
    s3::S3Call call;
    call.op = "GetObjectRetention";
    call.method = "GET";
    call.key = key;
    call.query = {{"retention", ""}};
    return client.SendWithRetries(call).body;
  }
  Rgw rgw_;
};

std::string Describe(const CommandResult& r) {
  return fmt::format("exit {}\nstdout:\n{}\nstderr:\n{}", r.exit_code, r.out, r.err);
}

TEST_F(RgwTest, EveryUploadIsLockedAndDeleteCountsLockedObjectsWithoutReportingThemDeleted) {
  const std::string bucket = MakeBucket(rgw_, "lock", false, /*object_lock=*/true);
  auto config = ConfigFor(rgw_, bucket);
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
  const std::string bucket = MakeBucket(rgw_, "comply", false, /*object_lock=*/true);
  auto config = ConfigFor(rgw_, bucket);
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
  const std::string bucket = MakeBucket(rgw_, "versions", /*versioning=*/true, false);
  auto config = ConfigFor(rgw_, bucket);
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
  const std::string bucket = MakeBucket(rgw_, "versoff", /*versioning=*/true, false);
  auto config = ConfigFor(rgw_, bucket);
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
  const std::string bucket = MakeBucket(rgw_, "ssec", false, false);
  auto config = ConfigFor(rgw_, bucket);
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
