#include <gtest/gtest.h>

#include "common/error.h"
#include "storage/s3/s3_client.h"
#include "storage/s3/s3_storage.h"

namespace walnut::s3 {
namespace {

S3Options Options(std::string endpoint, std::string bucket, bool path_style) {
  S3Options o;
  o.endpoint = std::move(endpoint);
  o.region = "us-east-1";
  o.bucket = std::move(bucket);
  o.force_path_style = path_style;
  return o;
}

TEST(S3AddressingTest, PathStyle) {
  S3Client client(Options("http://127.0.0.1:14568", "bucket", true));
  auto t = client.TargetFor("a b/c+d.txt", {{"partNumber", "1"}, {"uploadId", "x/y"}});
  EXPECT_EQ(t.host, "127.0.0.1:14568");
  EXPECT_EQ(t.canonical_uri, "/bucket/a%20b/c%2Bd.txt");
  EXPECT_EQ(t.url, "http://127.0.0.1:14568/bucket/a%20b/c%2Bd.txt?partNumber=1&uploadId=x%2Fy");
  auto bucket = client.TargetFor("", {{"list-type", "2"}});
  EXPECT_EQ(bucket.url, "http://127.0.0.1:14568/bucket?list-type=2");
  EXPECT_EQ(client.Uri("a/b"), "s3://bucket/a/b");
}

TEST(S3AddressingTest, VirtualHostStyle) {
  S3Client client(Options("https://s3.example.com", "my-bucket", false));
  EXPECT_FALSE(client.path_style());
  auto t = client.TargetFor("dir/key", {});
  EXPECT_EQ(t.host, "my-bucket.s3.example.com");
  EXPECT_EQ(t.canonical_uri, "/dir/key");
  EXPECT_EQ(t.url, "https://my-bucket.s3.example.com/dir/key");
  EXPECT_EQ(client.TargetFor("", {}).url, "https://my-bucket.s3.example.com/");
}

TEST(S3AddressingTest, DefaultsToTheRegionalAwsEndpoint) {
  S3Options o;
  o.bucket = "b";
  o.region = "eu-central-1";
  S3Client client(o);
  EXPECT_EQ(client.TargetFor("k", {}).url, "https://b.s3.eu-central-1.amazonaws.com/k");
}

TEST(S3AddressingTest, FallsBackToPathStyleWhereVirtualHostsCannotWork) {
  // IP literals and bucket names that are not one DNS label (dots break TLS wildcard names).
  EXPECT_TRUE(S3Client(Options("http://10.0.0.1:9000", "b", false)).path_style());
  EXPECT_TRUE(S3Client(Options("https://s3.example.com", "my.bucket", false)).path_style());
  EXPECT_TRUE(S3Client(Options("http://localhost:9000", "b", false)).path_style());
}

TEST(S3AddressingTest, EndpointBasePathAndDefaultPort) {
  S3Client client(Options("https://gw.example.com:443/s3/", "b", true));
  auto t = client.TargetFor("k", {});
  EXPECT_EQ(t.host, "gw.example.com");
  EXPECT_EQ(t.url, "https://gw.example.com/s3/b/k");
  EXPECT_EQ(t.canonical_uri, "/s3/b/k");
}

TEST(S3AddressingTest, CreationHeadersCarryStorageClassAndEncryption) {
  S3Options o = Options("http://127.0.0.1:1", "b", true);
  o.storage_class = "STANDARD_IA";
  o.sse = "aws:kms";
  o.sse_kms_id = "arn:aws:kms:key/1";
  auto headers = S3Client(o).ObjectCreationHeaders();
  EXPECT_EQ(headers, (net::HttpHeaders{
                         {"x-amz-storage-class", "STANDARD_IA"},
                         {"x-amz-server-side-encryption", "aws:kms"},
                         {"x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:key/1"}}));
}

std::string InvalidMessage(const S3Options& o) {
  try {
    ValidateS3Options(o);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    return e.what();
  }
  return "<valid>";
}

TEST(S3OptionsTest, ValidationNamesTheSetting) {
  S3Options ok = Options("http://127.0.0.1:1", "b", true);
  EXPECT_EQ(InvalidMessage(ok), "<valid>");

  S3Options o = ok;
  o.sse = "aws:kms";
  EXPECT_EQ(InvalidMessage(o), "WALG_S3_SSE_KMS_ID is required when WALG_S3_SSE=aws:kms");
  o = ok;
  o.sse = "DES";
  EXPECT_NE(InvalidMessage(o).find("WALG_S3_SSE"), std::string::npos);
  o = ok;
  o.sse_kms_id = "key";
  EXPECT_NE(InvalidMessage(o).find("WALG_S3_SSE_KMS_ID"), std::string::npos);
  o = ok;
  o.max_part_size = 1 << 20;
  EXPECT_NE(InvalidMessage(o).find("WALG_S3_MAX_PART_SIZE"), std::string::npos);
  o = ok;
  o.endpoint = "ftp://x";
  EXPECT_NE(InvalidMessage(o).find("AWS_ENDPOINT"), std::string::npos);
  o = ok;
  o.bucket = "";
  EXPECT_NE(InvalidMessage(o).find("WALG_S3_PREFIX"), std::string::npos);
  o = ok;
  o.access_key_id = "AKIA";
  EXPECT_NE(InvalidMessage(o).find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
  o = ok;
  o.ca_cert_file = "/nonexistent/ca.pem";
  EXPECT_NE(
      InvalidMessage(o).find("'/nonexistent/ca.pem' (WALG_S3_CA_CERT_FILE, else AWS_CA_BUNDLE)"),
      std::string::npos);
  o = ok;
  o.storage_class = "standard; rm";
  EXPECT_NE(InvalidMessage(o).find("WALG_S3_STORAGE_CLASS"), std::string::npos);
}

TEST(S3OptionsTest, DescribeShowsBucketAndRoot) {
  S3Options o = Options("http://127.0.0.1:1", "b", true);
  o.root = "/a/b/";
  EXPECT_EQ(S3Storage(o).Describe(), "s3://b/a/b");
  o.root = "";
  EXPECT_EQ(S3Storage(o).Describe(), "s3://b");
}

}  // namespace
}  // namespace walnut::s3
