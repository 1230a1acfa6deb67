#include "localfs/forwarding_local_fs.h"

#include <cerrno>
#include <string>

#include <fcntl.h>
#include <gtest/gtest.h>

#include "localfs/atomic_file_writer.h"
#include "support/test_util.h"

namespace walnut {
namespace {

using testing::ReadFile;
using testing::TempDir;

// Overrides two calls: counts writes, refuses renames.
class CountingFs : public ForwardingLocalFs {
 public:
  using ForwardingLocalFs::ForwardingLocalFs;
  int WriteAt(LocalFile& file, ConstByteSpan src, uint64_t offset) override {
    ++writes;
    return ForwardingLocalFs::WriteAt(file, src, offset);
  }
  int Rename(const std::string&, const std::string&) override { return EXDEV; }
  int writes = 0;
};

TEST(ForwardingLocalFsTest, ForwardsWhatItDoesNotOverride) {
  TempDir dir;
  CountingFs fs(LocalFs::Default());
  std::string path = (dir.path() / "f").string();
  LocalFile file;
  ASSERT_EQ(fs.Open(path, O_RDWR | O_CREAT, 0600, file), 0);
  file.Write(AsBytes("abc"));
  file.Sync();
  EXPECT_EQ(file.Stat().size, 3u);
  file.Close();
  EXPECT_EQ(ReadFile(path), "abc");
  FileStat stat;
  EXPECT_EQ(fs.Stat(path, stat, true), 0);
  EXPECT_EQ(fs.MakeDirectory((dir.path() / "d").string(), 0700), 0);
  EXPECT_EQ(fs.Unlink(path), 0);
  EXPECT_EQ(fs.Unlink(path), ENOENT);  // the base's answer
}

TEST(ForwardingLocalFsTest, FilesOpenedThroughTheWrapperComeBackToIt) {
  TempDir dir;
  CountingFs fs(LocalFs::Default());
  std::string path = (dir.path() / "f").string();
  LocalFile file;
  ASSERT_EQ(fs.Open(path, O_WRONLY | O_CREAT, 0600, file), 0);
  EXPECT_EQ(&file.fs(), &fs);
  file.Write(AsBytes("x"));
  file.WriteAt(AsBytes("y"), 1);
  EXPECT_EQ(fs.writes, 2);
}

TEST(ForwardingLocalFsTest, AnOverriddenFailureReachesTheCaller) {
  TempDir dir;
  CountingFs fs(LocalFs::Default());
  std::string path = (dir.path() / "f").string();
  auto writer = AtomicFileWriter::Create(fs, path);
  writer->Write(AsBytes("data"));
  Error e = testing::ExpectError([&] { writer->Close(); });
  EXPECT_NE(std::string(e.what()).find("cannot rename"), std::string::npos) << e.what();
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));  // the temporary file went too
}

}  // namespace
}  // namespace walnut
