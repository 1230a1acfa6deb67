#include "net/url.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace walnut::net {
namespace {

TEST(UrlTest, UriEncodeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(UriEncode("A-z_0.9~", false), "A-z_0.9~");
  EXPECT_EQ(UriEncode("a b+c=d&e%f", false), "a%20b%2Bc%3Dd%26e%25f");
  EXPECT_EQ(UriEncode("dir/file", false), "dir%2Ffile");
  EXPECT_EQ(UriEncode("dir/file", true), "dir/file");
  EXPECT_EQ(UriEncode("żółw", true), "%C5%BC%C3%B3%C5%82w");
  EXPECT_EQ(UriEncode("!'()*$", true), "%21%27%28%29%2A%24");
  EXPECT_EQ(UriEncode(std::string_view("\0\xff", 2), false), "%00%FF");
}

TEST(UrlTest, CanonicalQuerySortsByEncodedName) {
  EXPECT_EQ(CanonicalQueryString({}), "");
  EXPECT_EQ(CanonicalQueryString({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(CanonicalQueryString({{"uploadId", "a/b+c=="}, {"partNumber", "2"}}),
            "partNumber=2&uploadId=a%2Fb%2Bc%3D%3D");
  // Upper case sorts before lower case (byte order of the encoded names).
  EXPECT_EQ(CanonicalQueryString({{"b", "1"}, {"B", "2"}, {"a", "3"}}), "B=2&a=3&b=1");
}

TEST(UrlTest, ParsesEndpoints) {
  Endpoint ep = ParseEndpoint("http://127.0.0.1:14568", "AWS_ENDPOINT");
  EXPECT_EQ(ep.scheme, "http");
  EXPECT_EQ(ep.host, "127.0.0.1");
  EXPECT_EQ(ep.port, 14568);
  EXPECT_EQ(ep.HostHeader(), "127.0.0.1:14568");

  ep = ParseEndpoint("HTTPS://storage.example.com:443/base/", "AWS_ENDPOINT");
  EXPECT_EQ(ep.scheme, "https");
  EXPECT_EQ(ep.port, 0);  // the default port is not repeated in Host
  EXPECT_EQ(ep.HostHeader(), "storage.example.com");
  EXPECT_EQ(ep.base_path, "/base");

  ep = ParseEndpoint("http://[::1]:9000", "AWS_ENDPOINT");
  EXPECT_EQ(ep.host, "[::1]");
  EXPECT_EQ(ep.HostHeader(), "[::1]:9000");
}

TEST(UrlTest, RejectsBadEndpointsNamingTheSetting) {
  for (const char* bad :
       {"127.0.0.1:9000", "ftp://host", "http://", "http://host:0", "http://host:99999",
        "http://host:12ab", "http://user:pw@host", "http://host/?x=1", "http://[::1"}) {
    try {
      ParseEndpoint(bad, "AWS_ENDPOINT");
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_TRUE(std::string(e.what()).starts_with("AWS_ENDPOINT")) << e.what();
      // Never echo credentials back.
      EXPECT_EQ(std::string(e.what()).find("pw@"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace walnut::net
