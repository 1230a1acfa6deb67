#include "storage/sftp/sftp_metadata.h"

#include <gtest/gtest.h>

#include "storage/sftp/sftp_files.h"
#include "storage/sftp/sftp_object_io.h"

namespace walnut::sftp {
namespace {

TEST(SftpMetadataTest, SidecarNamesAreHiddenAndRecognised) {
  EXPECT_EQ(SidecarName("000000010000000000000001.lz4"),
            ".000000010000000000000001.lz4.walnut-meta");
  EXPECT_TRUE(IsSidecarName(SidecarName("x")));
  EXPECT_FALSE(IsSidecarName("x.walnut-meta"));
  EXPECT_FALSE(IsSidecarName(".walnut-meta"));
  EXPECT_FALSE(IsSidecarName(".hidden"));
  EXPECT_EQ(SidecarObjectName(SidecarName("base_000000010000000000000002.tar.lz4")),
            "base_000000010000000000000002.tar.lz4");
}

TEST(SftpMetadataTest, PathsBelowARootTheLoginDirectoryOrSlash) {
  EXPECT_EQ(JoinPath("/srv/walg", "a/b"), "/srv/walg/a/b");
  EXPECT_EQ(JoinPath("", "a/b"), "a/b");  // relative to the login directory
  EXPECT_EQ(JoinPath("/", "a"), "/a");
  EXPECT_EQ(ParentOf("/srv/walg/a/b"), "/srv/walg/a");
  EXPECT_EQ(ParentOf("b"), "");
  EXPECT_EQ(ParentOf("/b"), "/");
  EXPECT_EQ(BaseName("/srv/walg/a/b"), "b");
  EXPECT_EQ(SidecarPathOf("/srv/walg/a/b.lz4"), "/srv/walg/a/.b.lz4.walnut-meta");
  EXPECT_EQ(SidecarPathOf("b.lz4"), ".b.lz4.walnut-meta");
  EXPECT_EQ(SidecarPathOf("/b.lz4"), "/.b.lz4.walnut-meta");
}

TEST(SftpMetadataTest, EncodesAndDecodes) {
  Sidecar sidecar{1234, 1700000000, {{"walnut-sha256", std::string(64, 'a')}, {"k", "v"}}};
  std::optional<Sidecar> decoded = DecodeSidecar(EncodeSidecar(sidecar));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->size, 1234u);
  EXPECT_EQ(decoded->mtime, 1700000000);
  EXPECT_EQ(decoded->metadata, sidecar.metadata);
}

TEST(SftpMetadataTest, AnythingElseDecodesToNothing) {
  for (const char* bad :
       {"", "{", "[]", "null", "{\"size\":1,\"mtime\":2}",
        "{\"size\":-1,\"mtime\":2,\"metadata\":{}}", "{\"size\":1,\"mtime\":2.5,\"metadata\":{}}",
        "{\"size\":1,\"mtime\":2,\"metadata\":{\"a\":1}}",
        "{\"size\":\"1\",\"mtime\":2,\"metadata\":{}}"}) {
    EXPECT_FALSE(DecodeSidecar(bad).has_value()) << bad;
  }
  EXPECT_FALSE(DecodeSidecar(std::string(70000, ' ')).has_value());
}

}  // namespace
}  // namespace walnut::sftp
