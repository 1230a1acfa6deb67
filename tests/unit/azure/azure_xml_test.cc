// List Blobs answers and error bodies as Azure (and azurite) send them.

#include "storage/azure/azure_xml.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace walnut::azure {
namespace {

constexpr std::string_view kPage = R"(<?xml version="1.0" encoding="utf-8"?>
<EnumerationResults ServiceEndpoint="http://127.0.0.1:10000/devstoreaccount1" ContainerName="c">
  <Prefix>root/</Prefix><Marker/><MaxResults>2</MaxResults><Delimiter>/</Delimiter>
  <Blobs>
    <Blob><Name>root/a.lz4</Name><Properties>
      <Last-Modified>Mon, 07 Dec 2026 10:00:00 GMT</Last-Modified><Etag>0x8D</Etag>
      <Content-Length>1234</Content-Length><BlobType>BlockBlob</BlobType></Properties></Blob>
    <BlobPrefix><Name>root/basebackups_005/</Name></BlobPrefix>
  </Blobs>
  <NextMarker>2!84!MDAwMDE2IXJvb3QvYi5sejQ-</NextMarker>
</EnumerationResults>)";

TEST(AzureXmlTest, AListPageWithBlobsPrefixesAndAMarker) {
  BlobListPage page = ParseListBlobs(kPage);
  ASSERT_EQ(page.blobs.size(), 1u);
  EXPECT_EQ(page.blobs[0].name, "root/a.lz4");
  EXPECT_EQ(page.blobs[0].size, 1234u);
  EXPECT_EQ(page.blobs[0].mtime, std::chrono::system_clock::from_time_t(1796637600));
  ASSERT_EQ(page.prefixes.size(), 1u);
  EXPECT_EQ(page.prefixes[0], "root/basebackups_005/");
  EXPECT_EQ(page.next_marker, "2!84!MDAwMDE2IXJvb3QvYi5sejQ-");
}

TEST(AzureXmlTest, TheLastPageHasAnEmptyMarker) {
  BlobListPage page = ParseListBlobs(
      "<EnumerationResults><Blobs/><NextMarker/></EnumerationResults>");
  EXPECT_TRUE(page.blobs.empty());
  EXPECT_EQ(page.next_marker, "");
}

TEST(AzureXmlTest, DamagedAnswersAreRetryableProtocolErrors) {
  for (std::string_view bad :
       {"", "<html>", "<Other/>",
        "<EnumerationResults><Blobs><Blob><Properties/></Blob></Blobs></EnumerationResults>",
        "<EnumerationResults><Blobs><Blob><Name>x</Name><Properties><Content-Length>-1"
        "</Content-Length></Properties></Blob></Blobs></EnumerationResults>"}) {
    try {
      ParseListBlobs(bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kProtocol) << bad;
      EXPECT_TRUE(e.retryable()) << bad;
    }
  }
}

TEST(AzureXmlTest, ErrorBodiesKeepOnlyTheFirstMessageLine) {
  auto body = ParseAzureError(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code>"
      "<Message>Server failed to authenticate the request.\nRequestId:1\nTime:2</Message>"
      "<AuthenticationErrorDetail>The MAC signature found ... string to sign</"
      "AuthenticationErrorDetail></Error>");
  ASSERT_TRUE(body);
  EXPECT_EQ(body->code, "AuthenticationFailed");
  EXPECT_EQ(body->message, "Server failed to authenticate the request.");
  EXPECT_FALSE(ParseAzureError("not xml"));
}

TEST(AzureXmlTest, BlockListBody) {
  EXPECT_EQ(BlockListXml({"QQ==", "Qg=="}),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><Latest>QQ==</Latest>"
            "<Latest>Qg==</Latest></BlockList>");
}

}  // namespace
}  // namespace walnut::azure
