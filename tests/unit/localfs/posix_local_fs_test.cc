// The POSIX implementation of the seam against real files: results and errno of each call.
#include "localfs/posix_local_fs.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "localfs/local_file_reader.h"
#include "support/test_util.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using testing::ExpectError;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

class PosixLocalFsTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return (dir_.path() / name).string(); }

  PosixLocalFs fs_;
  TempDir dir_;
};

TEST_F(PosixLocalFsTest, WritesReadsAndStatsAFile) {
  LocalFile file;
  ASSERT_EQ(fs_.Open(Path("f"), O_RDWR | O_CREAT | O_EXCL, 0640, file), 0);
  file.Write(AsBytes("hello "));
  file.Write(AsBytes("world"));
  file.WriteAt(AsBytes("W"), 6);
  std::string back(32, '\0');
  EXPECT_EQ(file.ReadAt(AsWritableBytes(back), 0), 11u);  // short only at the end
  EXPECT_EQ(back.substr(0, 11), "hello World");
  FileStat stat = file.Stat();
  EXPECT_EQ(stat.type, FileType::kRegular);
  EXPECT_EQ(stat.size, 11u);
  file.Truncate(5);
  file.Sync();
  file.Close();
  EXPECT_FALSE(file.is_open());
  EXPECT_EQ(ReadFile(Path("f")), "hello");
  EXPECT_EQ(fs::status(Path("f")).permissions() & fs::perms::others_all, fs::perms::none);
}

TEST_F(PosixLocalFsTest, OpenReportsErrnoOfTheFailure) {
  LocalFile file;
  EXPECT_EQ(fs_.Open(Path("missing"), O_RDONLY, 0, file), ENOENT);
  EXPECT_FALSE(file.is_open());
  WriteFile(Path("f"), "x");
  EXPECT_EQ(fs_.Open(Path("f"), O_WRONLY | O_CREAT | O_EXCL, 0600, file), EEXIST);
  EXPECT_EQ(fs_.Open(Path("f") + "/below", O_RDONLY, 0, file), ENOTDIR);
  EXPECT_EQ(fs_.Open(Path(std::string(300, 'n')), O_RDONLY, 0, file), ENAMETOOLONG);
}

TEST_F(PosixLocalFsTest, TheFileMethodsThrowOneLineNamingTheFile) {
  Error e = ExpectError([&] { OpenFileReader(fs_, Path("missing")); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(std::string(e.what()),
            "cannot open " + Path("missing") + ": no such file or directory");
  // A descriptor open for reading only: writing it fails with EBADF.
  WriteFile(Path("f"), "x");
  LocalFile file;
  ASSERT_EQ(fs_.Open(Path("f"), O_RDONLY, 0, file), 0);
  e = ExpectError([&] { file.Write(AsBytes("y")); });
  EXPECT_EQ(e.code(), ErrorCode::kIo);
  EXPECT_EQ(std::string(e.what()), "cannot write " + Path("f") + ": bad file descriptor");
  e = ExpectError([&] { file.Truncate(0); });
  EXPECT_NE(std::string(e.what()).find("cannot resize to 0 bytes " + Path("f")), std::string::npos)
      << e.what();
}

TEST_F(PosixLocalFsTest, SmallFilesAreReadWholeUpToTheirLimit) {
  WriteFile(Path("small"), std::string(5000, 's'));  // more than the first 4 KiB step
  EXPECT_EQ(ReadSmallFile(fs_, Path("small"), 5000), std::string(5000, 's'));
  EXPECT_EQ(ReadSmallFileIfPresent(fs_, Path("small"), 5000), std::string(5000, 's'));
  Error e = ExpectError([&] { ReadSmallFileIfPresent(fs_, Path("small"), 4999, "spec"); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(std::string(e.what()).find("spec " + Path("small") + " is larger than 4999 bytes"),
            std::string::npos)
      << e.what();
  // Absent (the file, or a directory above it): an error for one, nothing for the other.
  e = ExpectError([&] { ReadSmallFile(fs_, Path("missing"), 10, "spec"); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(ReadSmallFileIfPresent(fs_, Path("missing"), 10), std::nullopt);
  EXPECT_EQ(ReadSmallFileIfPresent(fs_, Path("missing/below"), 10), std::nullopt);
  // Any other failure still throws, naming the file.
  e = ExpectError([&] { ReadSmallFileIfPresent(fs_, Path("small") + "/below", 10, "spec"); });
  EXPECT_NE(std::string(e.what()).find("cannot open spec " + Path("small") + "/below"),
            std::string::npos)
      << e.what();
}

TEST_F(PosixLocalFsTest, PathCallsReportErrno) {
  EXPECT_EQ(fs_.MakeDirectory(Path("d"), 0700), 0);
  EXPECT_EQ(fs_.MakeDirectory(Path("d"), 0700), EEXIST);
  EXPECT_EQ(fs_.MakeDirectory(Path("no/such/parent"), 0700), ENOENT);
  EXPECT_EQ(fs_.Rename(Path("missing"), Path("x")), ENOENT);
  EXPECT_EQ(fs_.Unlink(Path("d")), EISDIR);
  EXPECT_EQ(fs_.Unlink(Path("missing")), ENOENT);
  WriteFile(Path("d/f"), "x");
  EXPECT_EQ(fs_.RemoveDirectory(Path("d")), ENOTEMPTY);
  EXPECT_EQ(fs_.SyncDirectory(Path("missing")), ENOENT);
  EXPECT_EQ(fs_.SyncDirectory(Path("d/f")), ENOTDIR);
  EXPECT_EQ(fs_.SyncDirectory(Path("d")), 0);
  FileStat stat;
  EXPECT_EQ(fs_.Stat(Path("missing"), stat, true), ENOENT);
  std::vector<DirectoryEntry> entries;
  EXPECT_EQ(fs_.ListDirectory(Path("missing"), entries), ENOENT);
  EXPECT_EQ(fs_.ListDirectory(Path("d/f"), entries), ENOTDIR);
  uint64_t free = 0;
  EXPECT_EQ(fs_.FreeSpace(Path("missing"), free), ENOENT);
}

TEST_F(PosixLocalFsTest, RenamesUnlinksAndListsEntries) {
  WriteFile(Path("a"), "A");
  ASSERT_EQ(fs_.MakeDirectory(Path("sub"), 0750), 0);
  ASSERT_EQ(fs_.Rename(Path("a"), Path("b")), 0);
  std::vector<DirectoryEntry> entries;
  ASSERT_EQ(fs_.ListDirectory(dir_.str(), entries), 0);
  std::sort(entries.begin(), entries.end(),
            [](const DirectoryEntry& x, const DirectoryEntry& y) { return x.name < y.name; });
  ASSERT_EQ(entries.size(), 2u);  // no "." or ".."
  EXPECT_EQ(entries[0].name, "b");
  EXPECT_EQ(entries[1].name, "sub");
  EXPECT_NE(entries[1].type, FileType::kRegular);
  ASSERT_EQ(fs_.Unlink(Path("b")), 0);
  ASSERT_EQ(fs_.RemoveDirectory(Path("sub")), 0);
  ASSERT_EQ(fs_.ListDirectory(dir_.str(), entries), 0);
  EXPECT_TRUE(entries.empty());
}

TEST_F(PosixLocalFsTest, SymlinksModesAndTimes) {
  std::string long_target;  // longer than ReadLink's first buffer
  for (int i = 0; i < 120; ++i) long_target += "/missing";
  ASSERT_EQ(fs_.Symlink(long_target, Path("link")), 0);
  std::string target;
  ASSERT_EQ(fs_.ReadLink(Path("link"), target), 0);
  EXPECT_EQ(target, long_target);
  EXPECT_EQ(fs_.Symlink("x", Path("link")), EEXIST);
  FileStat stat;
  ASSERT_EQ(fs_.Stat(Path("link"), stat, /*follow_links=*/false), 0);
  EXPECT_EQ(stat.type, FileType::kSymlink);
  EXPECT_EQ(fs_.Stat(Path("link"), stat, /*follow_links=*/true), ENOENT);  // dangling

  WriteFile(Path("f"), "x");
  ASSERT_EQ(fs_.SetMode(Path("f"), 0604), 0);
  ASSERT_EQ(fs_.SetMtime(Path("f"), 1700000000), 0);
  ASSERT_EQ(fs_.Stat(Path("f"), stat, true), 0);
  EXPECT_EQ(stat.mode, 0604u);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(stat.mtime), 1700000000);
  EXPECT_EQ(fs_.SetMode(Path("missing"), 0600), ENOENT);
  EXPECT_EQ(fs_.SetMtime(Path("missing"), 1), ENOENT);
}

// lchown: the link itself changes owner, never its target (a tablespace's directory).
TEST_F(PosixLocalFsTest, SetOwnerChangesTheEntryNotWhatALinkPointsTo) {
  WriteFile(Path("target"), "x");
  ASSERT_EQ(fs_.Symlink(Path("target"), Path("link")), 0);
  auto owner = [&](const std::string& name) {
    struct stat st {};
    EXPECT_EQ(::lstat(Path(name).c_str(), &st), 0) << name;
    return std::pair<uid_t, gid_t>(st.st_uid, st.st_gid);
  };
  const auto before = owner("target");
  if (::geteuid() != 0) {
    EXPECT_EQ(fs_.SetOwner(Path("link"), before.first, before.second), 0);  // unchanged: allowed
    EXPECT_EQ(fs_.SetOwner(Path("target"), before.first + 1, before.second), EPERM);
  } else {
    ASSERT_EQ(fs_.SetOwner(Path("link"), 65534, 65534), 0);
    EXPECT_EQ(owner("link"), (std::pair<uid_t, gid_t>(65534, 65534)));
    EXPECT_EQ(owner("target"), before);
  }
  EXPECT_EQ(fs_.SetOwner(Path("missing"), before.first, before.second), ENOENT);
}

TEST_F(PosixLocalFsTest, CopiesInTheKernelFromAnOffset) {
  WriteFile(Path("src"), "0123456789");
  LocalFile from;
  LocalFile to;
  ASSERT_EQ(fs_.Open(Path("src"), O_RDONLY, 0, from), 0);
  ASSERT_EQ(fs_.Open(Path("dst"), O_WRONLY | O_CREAT, 0600, to), 0);
  size_t copied = 0;
  ASSERT_EQ(fs_.CopyRange(from, 4, to, 0, 100, copied), 0);
  EXPECT_EQ(copied, 6u);
  ASSERT_EQ(fs_.CopyRange(from, 10, to, 6, 100, copied), 0);
  EXPECT_EQ(copied, 0u);  // the end
  to.Close();
  EXPECT_EQ(ReadFile(Path("dst")), "456789");
}

// st put reads FIFOs and process substitutions (/dev/fd/N): no pread there.
TEST_F(PosixLocalFsTest, AReaderOfAFifoReadsOnToItsEnd) {
  ASSERT_EQ(::mkfifo(Path("fifo").c_str(), 0600), 0);
  std::string data = testing::RandomBytes(300000, 5);
  std::thread writer([&] { WriteFile(Path("fifo"), data); });
  auto reader = OpenFileReader(fs_, Path("fifo"));
  EXPECT_EQ(testing::ReadInRandomChunks(*reader, 70000), data);
  writer.join();
}

TEST_F(PosixLocalFsTest, FreeSpaceOfARealFileSystem) {
  uint64_t free = 0;
  ASSERT_EQ(fs_.FreeSpace(dir_.str(), free), 0);
  EXPECT_GT(free, 0u);
}

TEST_F(PosixLocalFsTest, ClosingTwiceIsHarmlessAndAMovedFileKeepsItsDescriptor) {
  WriteFile(Path("f"), "x");
  LocalFile file;
  ASSERT_EQ(fs_.Open(Path("f"), O_RDONLY, 0, file), 0);
  int fd = file.fd();
  LocalFile moved = std::move(file);
  EXPECT_FALSE(file.is_open());
  EXPECT_EQ(moved.fd(), fd);
  moved.Close();
  moved.Close();
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);  // really closed
}

}  // namespace
}  // namespace walnut
