#include "backup/file_syncer.h"

#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "localfs/local_fs.h"
#include "support/test_util.h"

namespace walnut {
namespace {

using testing::ExpectError;
using testing::TempDir;

bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(FileSyncerTest, FlushReturnsOnceEveryFileIsSyncedAndClosed) {
  TempDir dir;
  FileSyncer syncer(/*max_pending=*/2);  // fewer than the files: Submit must wait, not fail
  std::vector<int> fds;
  for (int i = 0; i < 5; ++i) {
    std::string path = (dir.path() / std::to_string(i)).string();
    LocalFile file;
    ASSERT_EQ(LocalFs::Default().Open(path, O_WRONLY | O_CREAT, 0600, file), 0);
    file.Write(AsBytes("x"));
    fds.push_back(file.fd());
    syncer.Submit(std::move(file));
  }
  syncer.Flush();
  // Only the syncer closed them: the numbers are free again (nothing else opens files here).
  for (int fd : fds) EXPECT_FALSE(IsOpen(fd)) << fd;
  syncer.Flush();  // nothing pending: returns at once
}

TEST(FileSyncerTest, AFailedSyncIsReportedWithTheFileName) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  ::close(pipe_fds[1]);
  FileSyncer syncer;
  // fsync of a pipe: EINVAL
  syncer.Submit(LocalFile(LocalFs::Default(), pipe_fds[0], "/restore/base/1/1259"));
  Error e = ExpectError([&] { syncer.Flush(); });
  EXPECT_NE(std::string(e.what()).find("cannot sync /restore/base/1/1259"), std::string::npos)
      << e.what();
  // Later files are refused: the restore has already failed.
  TempDir dir;
  std::string path = (dir.path() / "f").string();
  LocalFile file;
  ASSERT_EQ(LocalFs::Default().Open(path, O_WRONLY | O_CREAT, 0600, file), 0);
  ExpectError([&] { syncer.Submit(std::move(file)); });
}

TEST(FileSyncerTest, DestructionWithPendingFilesDoesNotHang) {
  TempDir dir;
  auto syncer = std::make_unique<FileSyncer>();
  for (int i = 0; i < 10; ++i) {
    std::string path = (dir.path() / std::to_string(i)).string();
    LocalFile file;
    ASSERT_EQ(LocalFs::Default().Open(path, O_WRONLY | O_CREAT, 0600, file), 0);
    syncer->Submit(std::move(file));
  }
  syncer.reset();
}

}  // namespace
}  // namespace walnut
