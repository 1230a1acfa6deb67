#include "backup/file_syncer.h"

#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

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
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, "x", 1), 1);
    fds.push_back(fd);
    syncer.Submit(UniqueFd(fd), path);
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
  syncer.Submit(UniqueFd(pipe_fds[0]), "/restore/base/1/1259");  // fsync of a pipe: EINVAL
  Error e = ExpectError([&] { syncer.Flush(); });
  EXPECT_NE(std::string(e.what()).find("cannot sync /restore/base/1/1259"), std::string::npos)
      << e.what();
  // Later files are refused: the restore has already failed.
  TempDir dir;
  std::string path = (dir.path() / "f").string();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ExpectError([&] { syncer.Submit(UniqueFd(fd), path); });
}

TEST(FileSyncerTest, DestructionWithPendingFilesDoesNotHang) {
  TempDir dir;
  auto syncer = std::make_unique<FileSyncer>();
  for (int i = 0; i < 10; ++i) {
    std::string path = (dir.path() / std::to_string(i)).string();
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    syncer->Submit(UniqueFd(fd), path);
  }
  syncer.reset();
}

}  // namespace
}  // namespace walnut
