#include "localfs/file_metadata.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "storage/fs/fs_storage.h"
#include "support/test_util.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;

std::string Attribute(const fs::path& path, const std::string& name) {
  std::string value(256, '\0');
  ssize_t n = ::getxattr(path.c_str(), name.c_str(), value.data(), value.size());
  if (n < 0) return "<" + std::string(std::strerror(errno)) + ">";
  value.resize(static_cast<size_t>(n));
  return value;
}

TEST(FileMetadataTest, KeepsMetadataAsUserWalnutAttributes) {
  testing::TempDir dir;
  FsStorage storage(dir.path());
  auto writer = storage.Put("wal_005/seg.lz4", PutOptions{3, {{"walnut-sha256", "abc123"}}});
  writer->Write(AsBytes(std::string("xyz")));
  writer->Close();
  EXPECT_EQ(Attribute(dir.path() / "wal_005" / "seg.lz4", "user.walnut.walnut-sha256"), "abc123");
}

TEST(FileMetadataTest, IgnoresAttributesThatAreNotOurs) {
  testing::TempDir dir;
  fs::path file = dir.path() / "object";
  testing::WriteFile(file, "data");
  ASSERT_EQ(::setxattr(file.c_str(), "user.other", "1", 1, 0), 0) << std::strerror(errno);
  ASSERT_EQ(::setxattr(file.c_str(), "user.walnut.mine", "2", 1, 0), 0);
  EXPECT_EQ(ReadFileMetadata(file.string()), (std::map<std::string, std::string>{{"mine", "2"}}));
}

TEST(FileMetadataTest, AMissingFileHasNoMetadata) {
  testing::TempDir dir;
  EXPECT_TRUE(ReadFileMetadata((dir.path() / "absent").string()).empty());
}

}  // namespace
}  // namespace walnut
