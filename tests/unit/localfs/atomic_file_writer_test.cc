// AtomicFileWriter: the file appears whole or not at all, whatever fails (tests/support's
// FaultyLocalFs injects the failures into the real file system).
#include "localfs/atomic_file_writer.h"

#include <cerrno>
#include <filesystem>
#include <string>

#include <fcntl.h>
#include <gtest/gtest.h>

#include "localfs/temporary_name.h"
#include "support/faulty_local_fs.h"
#include "support/test_util.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using testing::ExpectError;
using testing::FaultyLocalFs;
using testing::FsOp;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

size_t Entries(const fs::path& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), {}));
}

class AtomicFileWriterTest : public ::testing::Test {
 protected:
  std::string final_path() const { return (dir_.path() / "file").string(); }

  // Writes `content` in pieces of every size class (buffered and direct).
  void WriteAndClose(const std::string& content) {
    auto writer = AtomicFileWriter::Create(fs_, final_path());
    testing::WriteInRandomChunks(*writer, content, 600 << 10);
  }

  // The previous content stays in place and no temporary file is left.
  void ExpectUntouched(const std::string& before) {
    EXPECT_EQ(ReadFile(final_path()), before);
    EXPECT_EQ(Entries(dir_.path()), 1u);
  }

  TempDir dir_;
  FaultyLocalFs fs_;
  const std::string content_ = testing::RandomBytes(3 << 20);
};

TEST_F(AtomicFileWriterTest, CloseMakesTheWholeFileVisible) {
  WriteAndClose(content_);
  EXPECT_EQ(ReadFile(final_path()), content_);
  EXPECT_EQ(Entries(dir_.path()), 1u);
  EXPECT_GE(fs_.calls(FsOp::kSync), 1u);
  EXPECT_EQ(fs_.calls(FsOp::kSyncDirectory), 1u);
}

TEST_F(AtomicFileWriterTest, AbortLeavesNothing) {
  {
    auto writer = AtomicFileWriter::Create(fs_, final_path());
    writer->Write(AsBytes("partial"));
  }  // destroyed without Close()
  EXPECT_TRUE(fs::is_empty(dir_.path()));
}

TEST_F(AtomicFileWriterTest, EachFailureLeavesThePreviousFileIntact) {
  const std::string before = "previous content";
  WriteFile(final_path(), before);
  struct Case {
    const char* what;
    std::function<void()> inject;
    ErrorCode code;
    const char* message;
  };
  const Case cases[] = {
      {"ENOSPC on the 2nd write", [&] { fs_.FailCall(FsOp::kWriteAt, 2, ENOSPC); }, ErrorCode::kIo,
       "no space left on device; the file system is full"},
      {"EIO on the 1st write", [&] { fs_.FailCall(FsOp::kWriteAt, 1, EIO); }, ErrorCode::kIo,
       "input/output error"},
      {"a short write", [&] { fs_.ShortWrite(3, 1000, ENOSPC); }, ErrorCode::kIo,
       "no space left on device"},
      {"a failed fsync", [&] { fs_.FailCall(FsOp::kSync, 1, EIO); }, ErrorCode::kIo, "cannot sync"},
      {"a failed rename", [&] { fs_.FailCall(FsOp::kRename, 1, EACCES); },
       ErrorCode::kPermissionDenied, "cannot rename"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    fs_.Reset();
    c.inject();
    Error e = ExpectError([&] { WriteAndClose(content_); });
    EXPECT_EQ(e.code(), c.code);
    std::string message = e.what();
    EXPECT_NE(message.find(c.message), std::string::npos) << message;
    EXPECT_NE(message.find(final_path()), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    ExpectUntouched(before);
  }
  fs_.Reset();
  WriteAndClose(content_);  // the rerun completes
  EXPECT_EQ(ReadFile(final_path()), content_);
}

TEST_F(AtomicFileWriterTest, ACrashBeforeTheRenameLeavesOnlyAHiddenTemporaryFile) {
  const std::string before = "previous content";
  WriteFile(final_path(), before);
  fs_.CrashAt(FsOp::kRename, 1);
  ExpectError([&] { WriteAndClose(content_); });
  EXPECT_TRUE(fs_.crashed());
  EXPECT_EQ(ReadFile(final_path()), before);  // the old file, whole
  // The complete temporary file stays (nothing ran after the crash), under a name no reader takes
  // for the file.
  size_t temporaries = 0;
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    if (entry.path() == final_path()) continue;
    EXPECT_TRUE(IsTemporaryName(entry.path().filename().string())) << entry.path();
    ++temporaries;
  }
  EXPECT_EQ(temporaries, 1u);
  fs_.Reset();
  WriteAndClose(content_);
  EXPECT_EQ(ReadFile(final_path()), content_);
}

TEST_F(AtomicFileWriterTest, WithoutSyncNothingIsSynced) {
  auto writer = AtomicFileWriter::Create(fs_, final_path(), {.sync = false});
  writer->Write(AsBytes("x"));
  writer->Close();
  EXPECT_EQ(fs_.calls(FsOp::kSync), 0u);
  EXPECT_EQ(fs_.calls(FsOp::kSyncDirectory), 0u);
  EXPECT_EQ(ReadFile(final_path()), "x");
}

TEST_F(AtomicFileWriterTest, TheTemporaryFileCanLiveInAnotherDirectory) {
  fs::create_directories(dir_.path() / "running");
  auto writer = AtomicFileWriter::Create(fs_, final_path(),
                                         {.temporary_dir = (dir_.path() / "running").string()});
  EXPECT_EQ(fs::path(writer->temporary_path()).parent_path(), dir_.path() / "running");
  writer->Write(AsBytes("x"));
  writer->Close();
  EXPECT_EQ(ReadFile(final_path()), "x");
  EXPECT_TRUE(fs::is_empty(dir_.path() / "running"));
}

TEST_F(AtomicFileWriterTest, CreateInAMissingDirectoryIsNotFound) {
  Error e = ExpectError(
      [&] { AtomicFileWriter::Create(fs_, (dir_.path() / "missing" / "file").string()); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_NE(std::string(e.what()).find("missing/file"), std::string::npos) << e.what();
}

TEST_F(AtomicFileWriterTest, AppendFileCopiesInTheKernelOrThroughABuffer) {
  WriteFile(dir_.path() / "source", content_);
  for (bool kernel : {true, false}) {
    SCOPED_TRACE(kernel);
    fs_.Reset();
    if (!kernel) fs_.FailCall(FsOp::kCopyRange, 1, EXDEV);  // another file system
    LocalFile source;
    ASSERT_EQ(fs_.Open((dir_.path() / "source").string(), O_RDONLY, 0, source), 0);
    auto writer = AtomicFileWriter::Create(fs_, final_path());
    writer->Write(AsBytes("head:"));
    writer->AppendFile(source);
    writer->Close();
    EXPECT_EQ(ReadFile(final_path()), "head:" + content_);
  }
}

TEST(WriteFileAtomicallyTest, CreatesMissingDirectories) {
  TempDir dir;
  std::string path = (dir.path() / "a" / "b" / "file").string();
  WriteFileAtomically(LocalFs::Default(), path, "content");
  EXPECT_EQ(ReadFile(path), "content");
}

}  // namespace
}  // namespace walnut
