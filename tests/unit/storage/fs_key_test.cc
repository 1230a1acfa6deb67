#include "storage/fs/fs_key.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace walnut {
namespace {

TEST(FsKeyTest, ListPrefixSplitsAtItsLastSlash) {
  FsListScope scope = SplitFsListPrefix("wal_005/0000000100");
  EXPECT_EQ(scope.dir_key, "wal_005/");
  EXPECT_EQ(scope.name_prefix, "0000000100");

  scope = SplitFsListPrefix("basebackups_005/");
  EXPECT_EQ(scope.dir_key, "basebackups_005/");
  EXPECT_EQ(scope.name_prefix, "");

  scope = SplitFsListPrefix("wal");
  EXPECT_EQ(scope.dir_key, "");
  EXPECT_EQ(scope.name_prefix, "wal");

  scope = SplitFsListPrefix("");
  EXPECT_EQ(scope.dir_key, "");
  EXPECT_EQ(scope.name_prefix, "");
}

TEST(FsKeyTest, ListPrefixWhoseDirectoriesLeaveTheRootIsRefused) {
  EXPECT_THROW(SplitFsListPrefix("../etc/"), Error);
  EXPECT_THROW(SplitFsListPrefix("a//b"), Error);
  EXPECT_THROW(SplitFsListPrefix("/abs/x"), Error);
  EXPECT_THROW(SplitFsListPrefix(std::string_view("a\0b", 3)), Error);
  // After the last '/', only names are filtered: "wal_005/." lists names starting with a dot.
  EXPECT_EQ(SplitFsListPrefix("wal_005/.").name_prefix, ".");
}

}  // namespace
}  // namespace walnut
