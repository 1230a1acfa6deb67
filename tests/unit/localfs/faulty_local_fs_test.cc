// The fault-injecting LocalFs of tests/support: its faults must hit exactly the calls asked for.
#include "support/faulty_local_fs.h"

#include <cerrno>
#include <string>

#include <fcntl.h>
#include <gtest/gtest.h>

#include "support/test_util.h"

namespace walnut::testing {
namespace {

class FaultyLocalFsTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return (dir_.path() / name).string(); }
  LocalFile Create(const std::string& name) {
    LocalFile file;
    EXPECT_EQ(fs_.Open(Path(name), O_RDWR | O_CREAT, 0600, file), 0);
    return file;
  }

  TempDir dir_;
  FaultyLocalFs fs_;
};

TEST_F(FaultyLocalFsTest, FailsTheNthMatchingCallOnly) {
  fs_.FailCall(FsOp::kMakeDirectory, 2, ENOSPC, /*times=*/1, "/b");
  EXPECT_EQ(fs_.MakeDirectory(Path("a"), 0700), 0);   // does not match "/b"
  EXPECT_EQ(fs_.MakeDirectory(Path("b1"), 0700), 0);  // 1st match
  EXPECT_EQ(fs_.MakeDirectory(Path("b2"), 0700), ENOSPC);
  EXPECT_FALSE(std::filesystem::exists(Path("b2")));  // never reached the disk
  EXPECT_EQ(fs_.MakeDirectory(Path("b3"), 0700), 0);
  EXPECT_EQ(fs_.calls(FsOp::kMakeDirectory), 4u);
}

TEST_F(FaultyLocalFsTest, AShortWriteStoresAPrefixThenFails) {
  LocalFile file = Create("f");
  fs_.ShortWrite(1, 3, EIO);
  EXPECT_EQ(fs_.WriteAt(file, AsBytes("abcdef"), 0), EIO);
  file.Close();
  EXPECT_EQ(ReadFile(Path("f")), "abc");
}

TEST_F(FaultyLocalFsTest, AfterACrashNothingReachesTheDiskButDescriptorsAreReleased) {
  LocalFile file = Create("f");
  int fd = file.fd();
  fs_.CrashAt(FsOp::kRename, 1);
  EXPECT_EQ(fs_.Rename(Path("f"), Path("g")), EIO);
  EXPECT_TRUE(fs_.crashed());
  EXPECT_EQ(fs_.Unlink(Path("f")), EIO);
  EXPECT_EQ(fs_.WriteAt(file, AsBytes("x"), 0), EIO);
  EXPECT_TRUE(std::filesystem::exists(Path("f")));
  EXPECT_EQ(ReadFile(Path("f")), "");
  file = LocalFile();  // closes through the faulty fs
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
  fs_.Reset();
  EXPECT_FALSE(fs_.crashed());
  EXPECT_EQ(fs_.Rename(Path("f"), Path("g")), 0);
}

TEST_F(FaultyLocalFsTest, ALimitedSpaceFillsUpAndIsGivenBackByUnlink) {
  fs_.LimitSpace(10);
  LocalFile file = Create("f");
  EXPECT_EQ(fs_.WriteAt(file, AsBytes("123456"), 0), 0);
  EXPECT_EQ(fs_.free_space(), 4u);
  EXPECT_EQ(fs_.WriteAt(file, AsBytes("AB"), 0), 0);  // overwrites: no growth
  EXPECT_EQ(fs_.free_space(), 4u);
  EXPECT_EQ(fs_.WriteAt(file, AsBytes("789abcdef"), 6), ENOSPC);  // what fits is written
  EXPECT_EQ(fs_.free_space(), 0u);
  uint64_t free = 99;
  EXPECT_EQ(fs_.FreeSpace(dir_.str(), free), 0);
  EXPECT_EQ(free, 0u);
  file.Close();
  EXPECT_EQ(ReadFile(Path("f")), "AB3456789a");
  EXPECT_EQ(fs_.Unlink(Path("f")), 0);
  EXPECT_EQ(fs_.free_space(), 10u);
}

}  // namespace
}  // namespace walnut::testing
