#include "config/storage_url.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace walnut {
namespace {

TEST(StorageUrlTest, BucketOnly) {
  S3Location l = ParseS3Prefix("WALG_S3_PREFIX", "s3://bucket");
  EXPECT_EQ(l.bucket, "bucket");
  EXPECT_EQ(l.root, "");
  l = ParseS3Prefix("WALG_S3_PREFIX", "s3://bucket/");
  EXPECT_EQ(l.bucket, "bucket");
  EXPECT_EQ(l.root, "");
}

TEST(StorageUrlTest, PathIsTrimmedOfSlashes) {
  S3Location l = ParseS3Prefix("WALG_S3_PREFIX", "s3://my-bucket/a/b/");
  EXPECT_EQ(l.bucket, "my-bucket");
  EXPECT_EQ(l.root, "a/b");
  l = ParseS3Prefix("WALG_S3_PREFIX", "S3://b//x//");
  EXPECT_EQ(l.bucket, "b");
  EXPECT_EQ(l.root, "x");
}

TEST(StorageUrlTest, PercentEscapesInPathAreDecoded) {
  EXPECT_EQ(ParseS3Prefix("WALG_S3_PREFIX", "s3://b/with%20space/x").root, "with space/x");
}

void ExpectBad(std::string_view prefix, std::string_view why) {
  try {
    ParseS3Prefix("WALE_S3_PREFIX", prefix);
    ADD_FAILURE() << prefix << " was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    std::string message = e.what();
    EXPECT_NE(message.find("WALE_S3_PREFIX"), std::string::npos) << message;
    EXPECT_NE(message.find(std::string(prefix)), std::string::npos) << message;
    EXPECT_NE(message.find(why), std::string::npos) << message;
    EXPECT_NE(message.find("s3://bucket/path"), std::string::npos) << message;
  }
}

TEST(StorageUrlTest, BadPrefixesAreRejected) {
  ExpectBad("bucket/path", "scheme");
  ExpectBad("gs://bucket/path", "scheme");
  ExpectBad("s3:/bucket", "scheme");
  ExpectBad("s3://", "bucket name is missing");
  ExpectBad("s3:///path", "bucket name is missing");
  ExpectBad("s3://user@bucket/x", "bucket name");
  ExpectBad("s3://bucket:9000/x", "bucket name");
  ExpectBad("s3://bucket/x?versionId=1", "'?'");
  ExpectBad("s3://bucket/x#frag", "'#'");
  ExpectBad("s3://bucket/bad%zzescape", "escape");
  ExpectBad("s3://bucket/truncated%4", "escape");
}

TEST(StorageUrlTest, FilePrefixStripsWaleLocalhost) {
  EXPECT_EQ(NormalizeFilePrefix("WALG_FILE_PREFIX", "file://localhost/var/backups"),
            "/var/backups");
  EXPECT_EQ(NormalizeFilePrefix("WALG_FILE_PREFIX", "file:///var/backups/"), "/var/backups");
  EXPECT_EQ(NormalizeFilePrefix("WALG_FILE_PREFIX", "/var/backups//"), "/var/backups");
  EXPECT_EQ(NormalizeFilePrefix("WALG_FILE_PREFIX", "relative/dir"), "relative/dir");
  EXPECT_EQ(NormalizeFilePrefix("WALG_FILE_PREFIX", "/"), "/");
  EXPECT_THROW(NormalizeFilePrefix("WALG_FILE_PREFIX", "file://localhost"), Error);
}

}  // namespace
}  // namespace walnut
