// SharedKey signing as Microsoft documents it ("Authorize with Shared Key",
// learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key): the canonicalized
// resource and string-to-sign examples of that page, and signatures checked against Python's
// hmac (an independent implementation) with azurite's well-known key.

#include "storage/azure/shared_key.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "net/http_date.h"

namespace walnut::azure {
namespace {

constexpr std::string_view kDevKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

TEST(SharedKeyTest, CanonicalizedResourceAsTheDocumentationShowsIt) {
  // GET http://myaccount.blob.core.windows.net/mycontainer?restype=container&comp=metadata
  EXPECT_EQ(CanonicalizedResource("myaccount", "/mycontainer",
                                  {{"restype", "container"}, {"comp", "metadata"}}),
            "/myaccount/mycontainer\ncomp:metadata\nrestype:container");
  // Several values of one parameter: sorted and joined with ','.
  EXPECT_EQ(CanonicalizedResource("myaccount", "/mycontainer",
                                  {{"restype", "container"},
                                   {"comp", "list"},
                                   {"include", "snapshots"},
                                   {"include", "metadata"},
                                   {"include", "uncommittedblobs"}}),
            "/myaccount/mycontainer\ncomp:list\ninclude:metadata,snapshots,uncommittedblobs\n"
            "restype:container");
  // Names are lower-cased; values are not decoded twice nor changed.
  EXPECT_EQ(CanonicalizedResource("a", "/c/b", {{"BlockId", "QUJD+/=="}}),
            "/a/c/b\nblockid:QUJD+/==");
}

TEST(SharedKeyTest, TheDocumentedStringToSign) {
  // The page's example for version 2009-09-19 and later: a path-style request, so the account
  // comes twice.
  net::HttpHeaders headers = {{"x-ms-version", "2009-09-19"},
                              {"x-ms-date", "Sun, 11 Oct 2009 21:49:13 GMT"}};
  std::string resource = CanonicalizedResource(
      "myaccount", "/myaccount/mycontainer",
      {{"restype", "container"}, {"comp", "metadata"}, {"timeout", "20"}});
  EXPECT_EQ(StringToSign("GET", headers, 0, resource),
            "GET\n\n\n\n\n\n\n\n\n\n\n\n"
            "x-ms-date:Sun, 11 Oct 2009 21:49:13 GMT\nx-ms-version:2009-09-19\n"
            "/myaccount/myaccount/mycontainer\ncomp:metadata\nrestype:container\ntimeout:20");
}

TEST(SharedKeyTest, StandardHeadersKeepTheirPlaces) {
  net::HttpHeaders headers = {{"Content-Type", "application/xml"},
                              {"If-Match", "\"0x8D\""},
                              {"X-MS-Meta-Walnut_sha256", "  ab   cd "},
                              {"x-ms-date", "Mon, 07 Dec 2026 10:00:00 GMT"},
                              {"x-ms-version", "2021-08-06"},
                              {"Accept", "ignored"}};
  EXPECT_EQ(StringToSign("PUT", headers, 11, "/acct/c/b"),
            "PUT\n\n\n11\n\napplication/xml\n\n\n\"0x8D\"\n\n\n\n"
            "x-ms-date:Mon, 07 Dec 2026 10:00:00 GMT\nx-ms-meta-walnut_sha256:ab cd\n"
            "x-ms-version:2021-08-06\n/acct/c/b");
}

TEST(SharedKeyTest, SignatureMatchesAnIndependentHmac) {
  // python3: base64(hmac.new(b64decode(kDevKey), sts, sha256).digest())
  std::string sts =
      "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Sun, 11 Oct 2009 21:49:13 GMT\n"
      "x-ms-version:2009-09-19\n/myaccount/myaccount/mycontainer\ncomp:metadata\n"
      "restype:container\ntimeout:20";
  EXPECT_EQ(SharedKeyAuthorization("myaccount", kDevKey, sts),
            "SharedKey myaccount:Su5rvibNeMxB7A4I87rOtEgCDtdICsL8v5H+yJs0W+M=");
}

TEST(SharedKeyTest, Base64RoundTripsAndRefusesGarbage) {
  for (std::string_view s : {"", "a", "ab", "abc", "abcd", "\xff\x00\x10"}) {
    if (s.empty()) continue;
    EXPECT_EQ(Base64Decode(Base64Encode(s)), s);
  }
  EXPECT_EQ(Base64Encode("walnut"), "d2FsbnV0");
  EXPECT_EQ(Base64Decode(kDevKey).size(), 64u);
  for (std::string_view bad : {"abc", "!!!!", ""}) {
    try {
      Base64Decode(bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    }
  }
}

TEST(SharedKeyTest, DatesAreRfc1123InGmt) {
  EXPECT_EQ(net::FormatHttpDate(std::chrono::system_clock::from_time_t(1255297753)),
            "Sun, 11 Oct 2009 21:49:13 GMT");
}

}  // namespace
}  // namespace walnut::azure
