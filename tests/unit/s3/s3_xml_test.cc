#include "storage/s3/s3_xml.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "storage/s3/s3_versions_xml.h"

namespace walnut::s3 {
namespace {

using std::chrono::system_clock;

ErrorCode CodeOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::kInternal;
}

constexpr std::string_view kListPage = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix>root/</Prefix><KeyCount>3</KeyCount><MaxKeys>2</MaxKeys>
  <Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ab/c+d==</NextContinuationToken>
  <Contents>
    <Key>root/a &amp; b.txt</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>
    <ETag>"fba9dede5f27731c9771645a39863328"</ETag><Size>434234</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>root/c</Key><LastModified>2023-01-02T03:04:05Z</LastModified><Size>0</Size>
  </Contents>
  <CommonPrefixes><Prefix>root/dir/</Prefix></CommonPrefixes>
</ListBucketResult>)";

TEST(S3XmlTest, ParsesAListPage) {
  ListPage page = ParseListObjectsV2(kListPage);
  ASSERT_EQ(page.objects.size(), 2u);
  EXPECT_EQ(page.objects[0].key, "root/a & b.txt");
  EXPECT_EQ(page.objects[0].size, 434234u);
  EXPECT_EQ(page.objects[0].mtime, system_clock::from_time_t(1255369830));
  EXPECT_EQ(page.objects[1].key, "root/c");
  EXPECT_EQ(page.objects[1].size, 0u);
  EXPECT_EQ(page.common_prefixes, std::vector<std::string>{"root/dir/"});
  EXPECT_TRUE(page.is_truncated);
  EXPECT_EQ(page.next_continuation_token, "1ab/c+d==");
}

TEST(S3XmlTest, ParsesAnEmptyLastPage) {
  ListPage page = ParseListObjectsV2(
      "<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated>"
      "</ListBucketResult>");
  EXPECT_TRUE(page.objects.empty());
  EXPECT_FALSE(page.is_truncated);
}

TEST(S3XmlTest, RejectsBrokenListPages) {
  EXPECT_EQ(CodeOf([] { ParseListObjectsV2("<html>502 Bad Gateway</html>"); }),
            ErrorCode::kProtocol);
  EXPECT_EQ(CodeOf([] { ParseListObjectsV2("not xml at all"); }), ErrorCode::kProtocol);
  EXPECT_EQ(CodeOf([] { ParseListObjectsV2("<ListBucketResult><Contents>"); }),
            ErrorCode::kProtocol);
  // Truncated without a token would loop forever or stop early: refuse it.
  EXPECT_EQ(CodeOf([] {
              ParseListObjectsV2(
                  "<ListBucketResult><IsTruncated>true</IsTruncated>"
                  "</ListBucketResult>");
            }),
            ErrorCode::kProtocol);
  EXPECT_EQ(CodeOf([] {
              ParseListObjectsV2(
                  "<ListBucketResult><IsTruncated>false</IsTruncated><Contents>"
                  "<Key>k</Key><Size>-1</Size><LastModified>2009-10-12T17:50:"
                  "30.000Z</LastModified></Contents></ListBucketResult>");
            }),
            ErrorCode::kProtocol);
  EXPECT_EQ(CodeOf([] {
              ParseListObjectsV2(
                  "<ListBucketResult><IsTruncated>false</IsTruncated><Contents>"
                  "<Key>k</Key><Size>1</Size><LastModified>yesterday"
                  "</LastModified></Contents></ListBucketResult>");
            }),
            ErrorCode::kProtocol);
}

TEST(S3XmlTest, ParsesErrorBodies) {
  auto e =
      ParseErrorBody(R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code>)"
                     "<Message>The specified key does not exist.</Message><Key>a/b</Key></Error>");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "NoSuchKey");
  EXPECT_EQ(e->message, "The specified key does not exist.");
  EXPECT_FALSE(ParseErrorBody("").has_value());  // HEAD errors have no body
  EXPECT_FALSE(ParseErrorBody("<html><body>Bad Gateway</body></html>").has_value());
  EXPECT_FALSE(ParseErrorBody("<Error><Code>x").has_value());
}

TEST(S3XmlTest, ParsesDeleteResults) {
  auto failures = ParseDeleteResult(
      "<DeleteResult><Deleted><Key>a</Key></Deleted>"
      "<Error><Key>b</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
      "<Deleted><Key>c</Key></Deleted></DeleteResult>");
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].key, "b");
  EXPECT_EQ(failures[0].code, "AccessDenied");
  EXPECT_EQ(failures[0].message, "Access Denied");
  EXPECT_TRUE(ParseDeleteResult("<DeleteResult/>").empty());
  EXPECT_EQ(CodeOf([] { ParseDeleteResult("<Error><Code>InternalError</Code></Error>"); }),
            ErrorCode::kProtocol);
}

TEST(S3XmlTest, BuildsADeleteRequestWithEscapedKeys) {
  std::vector<KeyVersion> keys = {{"a", ""}, {"x<y>&'\"z", ""}};
  EXPECT_EQ(BuildDeleteVersionsRequest(keys),
            R"(<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet>)"
            "<Object><Key>a</Key></Object>"
            "<Object><Key>x&lt;y&gt;&amp;&apos;&quot;z</Key></Object></Delete>");
  keys = {{"k", "v<1>"}};
  EXPECT_EQ(BuildDeleteVersionsRequest(keys),
            R"(<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet>)"
            "<Object><Key>k</Key><VersionId>v&lt;1&gt;</VersionId></Object></Delete>");
}

TEST(S3XmlTest, MultipartBodies) {
  EXPECT_EQ(ParseInitiateMultipartUpload(
                "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
                "<UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>"),
            "VXBsb2FkIElE");
  EXPECT_EQ(CodeOf([] { ParseInitiateMultipartUpload("<InitiateMultipartUploadResult/>"); }),
            ErrorCode::kProtocol);
  std::vector<std::string> etags = {"\"e1\"", "\"e2\""};
  EXPECT_EQ(BuildCompleteMultipartUpload(etags),
            R"(<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload>)"
            "<Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag></Part>"
            "</CompleteMultipartUpload>");
}

TEST(S3XmlTest, FindsErrorsInsideSuccessfulAnswers) {
  EXPECT_FALSE(EmbeddedError("<CompleteMultipartUploadResult><ETag>x</ETag>"
                             "</CompleteMultipartUploadResult>",
                             "CompleteMultipartUploadResult")
                   .has_value());
  auto e = EmbeddedError("<Error><Code>InternalError</Code><Message>retry</Message></Error>",
                         "CompleteMultipartUploadResult");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "InternalError");
  EXPECT_EQ(CodeOf([] { EmbeddedError("", "CopyObjectResult"); }), ErrorCode::kProtocol);
  EXPECT_EQ(CodeOf([] { EmbeddedError("<Other/>", "CopyObjectResult"); }), ErrorCode::kProtocol);
}

TEST(S3XmlTest, ParsesTimestamps) {
  EXPECT_EQ(ParseIso8601("2009-10-12T17:50:30.000Z"), system_clock::from_time_t(1255369830));
  EXPECT_EQ(ParseIso8601("2009-10-12T17:50:30.5Z"),
            system_clock::from_time_t(1255369830) + std::chrono::milliseconds(500));
  EXPECT_FALSE(ParseIso8601("2009-10-12T17:50:30").has_value());
  EXPECT_FALSE(ParseIso8601("2009-13-12T17:50:30Z").has_value());
  EXPECT_FALSE(ParseIso8601("2009-10-12T17:50:30.Z").has_value());
  EXPECT_EQ(ParseHttpDate("Mon, 12 Oct 2009 17:50:30 GMT"), system_clock::from_time_t(1255369830));
  EXPECT_FALSE(ParseHttpDate("12 Oct 2009").has_value());
  EXPECT_FALSE(ParseHttpDate("Fri, 31 Dec 9999 23:59:59 GMT").has_value());  // past int64 ns
}

}  // namespace
}  // namespace walnut::s3
