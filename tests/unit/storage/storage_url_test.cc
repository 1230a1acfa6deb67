#include "storage/storage_url.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace walnut {
namespace {

TEST(StorageUrlTest, BucketOnly) {
  StorageUrl l = ParseStorageUrl("WALG_S3_PREFIX", "s3://bucket", "s3");
  EXPECT_EQ(l.host, "bucket");
  EXPECT_EQ(l.root, "");
  l = ParseStorageUrl("WALG_S3_PREFIX", "s3://bucket/", "s3");
  EXPECT_EQ(l.host, "bucket");
  EXPECT_EQ(l.root, "");
}

TEST(StorageUrlTest, PathIsTrimmedOfSlashes) {
  StorageUrl l = ParseStorageUrl("WALG_S3_PREFIX", "s3://my-bucket/a/b/", "s3");
  EXPECT_EQ(l.host, "my-bucket");
  EXPECT_EQ(l.root, "a/b");
  l = ParseStorageUrl("WALG_S3_PREFIX", "S3://b//x//", "s3");
  EXPECT_EQ(l.host, "b");
  EXPECT_EQ(l.root, "x");
}

TEST(StorageUrlTest, PercentEscapesInPathAreDecoded) {
  EXPECT_EQ(ParseStorageUrl("WALG_S3_PREFIX", "s3://b/with%20space/x", "s3").root, "with space/x");
}

void ExpectBad(std::string_view prefix, std::string_view why) {
  try {
    ParseStorageUrl("WALE_S3_PREFIX", prefix, "s3");
    ADD_FAILURE() << prefix << " was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    std::string message = e.what();
    EXPECT_NE(message.find("WALE_S3_PREFIX"), std::string::npos) << message;
    EXPECT_NE(message.find(std::string(prefix)), std::string::npos) << message;
    EXPECT_NE(message.find(why), std::string::npos) << message;
    EXPECT_NE(message.find("s3://name/path"), std::string::npos) << message;
  }
}

TEST(StorageUrlTest, BadPrefixesAreRejected) {
  ExpectBad("bucket/path", "scheme");
  ExpectBad("gs://bucket/path", "scheme");
  ExpectBad("s3:/bucket", "scheme");
  ExpectBad("s3://", "name is missing");
  ExpectBad("s3:///path", "name is missing");
  ExpectBad("s3://user@bucket/x", "the name");
  ExpectBad("s3://bucket:9000/x", "the name");
  ExpectBad("s3://bucket/x?versionId=1", "'?'");
  ExpectBad("s3://bucket/x#frag", "'#'");
  ExpectBad("s3://bucket/bad%zzescape", "escape");
  ExpectBad("s3://bucket/truncated%4", "escape");
}

TEST(StorageUrlTest, OtherSchemes) {
  StorageUrl azure = ParseStorageUrl("WALG_AZ_PREFIX", "azure://container/p", "azure");
  EXPECT_EQ(azure.host, "container");
  EXPECT_EQ(azure.root, "p");
  try {
    ParseStorageUrl("WALG_AZ_PREFIX", "s3://container/p", "azure");
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("azure://name/path"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace walnut
