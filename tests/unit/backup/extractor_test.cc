#include "backup/extractor.h"

#include <filesystem>
#include <string>
#include <unordered_set>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "io/digest.h"
#include "io/memory_stream.h"
#include "localfs/local_fs.h"
#include "support/tar_test_util.h"
#include "support/test_util.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using testing::ExpectError;
using testing::ReadFile;
using testing::TarDirectory;
using testing::TarEnd;
using testing::TarFile;
using testing::TarSymlink;
using testing::TempDir;
using testing::WriteFile;

void Extract(Extractor& extractor, const std::string& tar, const ExtractOptions& options = {},
             const std::string& name = "part_001.tar.lz4") {
  MemoryReader input(tar);
  extractor.ExtractTar(input, name, options);
}

struct stat Lstat(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

TEST(ExtractorTest, RestoresFilesDirectoriesAndLinksWithModesAndMtimes) {
  TempDir dir;
  Extractor extractor(LocalFs::Default(), dir.path(), "base_000000010000000000000002");
  std::string big = testing::RandomBytes(3 << 20, 5);
  Extract(extractor, TarDirectory("/base") + TarFile("/base/1/1259", big) +
                         TarFile("/PG_VERSION", "15\n") + TarFile("/empty", "") +
                         TarSymlink("/link", "PG_VERSION") + TarEnd());
  // Links wait until the directories are finished.
  EXPECT_FALSE(fs::is_symlink(dir.path() / "link"));
  extractor.FinishDirectories(true);

  EXPECT_EQ(ReadFile(dir.path() / "base/1/1259"), big);
  EXPECT_EQ(ReadFile(dir.path() / "PG_VERSION"), "15\n");
  EXPECT_EQ(ReadFile(dir.path() / "empty"), "");
  EXPECT_EQ(fs::read_symlink(dir.path() / "link"), "PG_VERSION");
  struct stat file = Lstat(dir.path() / "base/1/1259");
  EXPECT_EQ(file.st_mode & 07777, 0600u);
  EXPECT_EQ(file.st_mtime, 1700000000);
  EXPECT_EQ(file.st_uid, ::getuid());
  struct stat base = Lstat(dir.path() / "base");
  EXPECT_EQ(base.st_mode & 07777, 0700u);
  EXPECT_EQ(base.st_mtime, 1700000000);  // set after base/1 was created in it
  EXPECT_EQ(extractor.files_restored(), 3u);
  EXPECT_EQ(extractor.bytes_restored(), big.size() + 3);
}

TEST(ExtractorTest, ChecksumMismatchNamesFileTarAndBackup) {
  TempDir dir;
  Extractor extractor(LocalFs::Default(), dir.path(), "base_000000010000000000000002");
  extractor.Expect("/base/1/1", Digest::Of(AsBytes("right")).Hex());
  extractor.Expect("/base/1/2", Digest::Of(AsBytes("fine")).Hex());
  Error e = ExpectError([&] {
    Extract(extractor, TarFile("/base/1/2", "fine") + TarFile("/base/1/1", "wrong") + TarEnd());
  });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  std::string message = e.what();
  EXPECT_NE(message.find("base/1/1"), std::string::npos) << message;
  EXPECT_NE(message.find("part_001.tar.lz4"), std::string::npos) << message;
  EXPECT_NE(message.find("base_000000010000000000000002"), std::string::npos) << message;
  EXPECT_NE(message.find("SHA-256"), std::string::npos) << message;
}

TEST(ExtractorTest, ReportsExpectedFilesNoTarDelivered) {
  TempDir dir;
  Extractor extractor(LocalFs::Default(), dir.path(), "b");
  extractor.Expect("/base/1/1", "");
  extractor.Expect("/base/1/2", Digest::Of(AsBytes("two")).Hex());
  extractor.Expect("/global/pg_control", "");
  extractor.Expect("/base", "");
  Extract(extractor, TarDirectory("/base") + TarFile("/base/1/2", "two") + TarEnd());
  EXPECT_EQ(extractor.Missing(), (std::vector<std::string>{"base/1/1", "global/pg_control"}));
  EXPECT_EQ(extractor.Missing([](const std::string& p) { return p.starts_with("global/"); }),
            (std::vector<std::string>{"base/1/1"}));
}

TEST(ExtractorTest, NeverWritesThroughALinkFromTheBackup) {
  TempDir dir;
  TempDir outside;
  Extractor extractor(LocalFs::Default(), dir.path(), "b");
  Error e = ExpectError([&] {
    Extract(extractor, TarSymlink("/evil", outside.str()) + TarFile("/evil/owned", "x") + TarEnd());
  });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find("evil/owned"), std::string::npos) << e.what();

  // A link created by an earlier tar is not followed by a later one either.
  Extractor second(LocalFs::Default(), dir.path() / "second", "b");
  fs::create_directory(dir.path() / "second");
  Extract(second, TarSymlink("/global", outside.str()) + TarEnd());
  second.FinishDirectories(false);
  EXPECT_EQ(
      ExpectError([&] { Extract(second, TarFile("/global/pg_control", "x") + TarEnd()); }).code(),
      ErrorCode::kCorruption);
  EXPECT_TRUE(fs::is_empty(outside.path()));
}

TEST(ExtractorTest, WritesThroughTablespaceLinksThatExistedBefore) {
  TempDir dir;
  TempDir tablespace;
  fs::create_directory(dir.path() / "pg_tblspc");
  fs::create_directory_symlink(tablespace.path(), dir.path() / "pg_tblspc/16384");
  Extractor extractor(LocalFs::Default(), dir.path(), "b");
  Extract(extractor, TarDirectory("/pg_tblspc/16384") +
                         TarFile("/pg_tblspc/16384/PG_15_1/5/16385", "ts") + TarEnd());
  extractor.FinishDirectories(true);
  EXPECT_EQ(ReadFile(tablespace.path() / "PG_15_1/5/16385"), "ts");
  EXPECT_TRUE(fs::is_symlink(dir.path() / "pg_tblspc/16384"));
}

TEST(ExtractorTest, MaskAndSkipLeaveFilesOut) {
  TempDir dir;
  Extractor extractor(LocalFs::Default(), dir.path(), "b");
  ExtractOptions options;
  options.mask = "global/*";
  Extract(extractor,
          TarFile("/global/1262", "a") + TarFile("/base/1/1", "b") + TarFile("/global/sub/x", "c") +
              TarEnd(),
          options);
  EXPECT_TRUE(fs::exists(dir.path() / "global/1262"));
  EXPECT_FALSE(fs::exists(dir.path() / "base/1/1"));
  EXPECT_FALSE(fs::exists(dir.path() / "global/sub/x"));  // '*' does not cross '/'

  ExtractOptions skip;
  skip.skip.insert("tablespace_map");
  Extract(extractor, TarFile("backup_label", "label") + TarFile("tablespace_map", "map") + TarEnd(),
          skip);
  EXPECT_TRUE(fs::exists(dir.path() / "backup_label"));
  EXPECT_FALSE(fs::exists(dir.path() / "tablespace_map"));
}

// backup-fetch --delta: kept files are neither written nor missing, and a link of the backup
// replaces the one already at its path.
TEST(ExtractorTest, KeptFilesAreSkippedAndExistingLinksReplaced) {
  TempDir dir;
  fs::create_directories(dir.path() / "base/1");
  WriteFile(dir.path() / "base/1/kept", "local content");
  WriteFile(dir.path() / "base/1/stale", "old");
  fs::create_symlink("elsewhere", dir.path() / "link");
  Extractor extractor(LocalFs::Default(), dir.path(), "b");
  extractor.Expect("/base/1/kept", "");
  extractor.Expect("/base/1/stale", "");
  extractor.Expect("/link", "");
  extractor.MarkPresent("base/1/kept");
  std::unordered_set<std::string> keep{"base/1/kept"};
  ExtractOptions options;
  options.keep = &keep;
  Extract(extractor,
          TarFile("/base/1/kept", "backup content") + TarFile("/base/1/stale", "new") +
              TarSymlink("/link", "PG_VERSION") + TarEnd(),
          options);
  EXPECT_THROW(extractor.FinishDirectories(false), Error);  // EEXIST without the replacement
  extractor.ReplaceExistingLinks();
  Extract(extractor, TarSymlink("/link", "PG_VERSION") + TarEnd(), options);
  extractor.FinishDirectories(false);
  EXPECT_EQ(ReadFile(dir.path() / "base/1/kept"), "local content");
  EXPECT_EQ(ReadFile(dir.path() / "base/1/stale"), "new");
  EXPECT_EQ(fs::read_symlink(dir.path() / "link"), "PG_VERSION");
  EXPECT_TRUE(extractor.Missing().empty());
  EXPECT_EQ(extractor.files_restored(), 1u);
}

TEST(ExtractorTest, AtomicFilesLeaveNoHalfWrittenFile) {
  TempDir dir;
  Extractor extractor(LocalFs::Default(), dir.path(), "b");
  ExtractOptions options;
  options.atomic_files = true;
  Extract(extractor, TarFile("/global/pg_control", "control") + TarEnd(), options);
  EXPECT_EQ(ReadFile(dir.path() / "global/pg_control"), "control");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path() / "global"), fs::directory_iterator()),
            1);

  // A truncated tar leaves only the temporary file behind, never pg_control itself.
  TempDir other;
  Extractor broken(LocalFs::Default(), other.path(), "b");
  std::string tar = TarFile("/global/pg_control", std::string(8192, 'c'));
  EXPECT_EQ(ExpectError([&] { Extract(broken, tar.substr(0, 4000), options); }).code(),
            ErrorCode::kCorruption);
  EXPECT_FALSE(fs::exists(other.path() / "global/pg_control"));
}

TEST(ExtractorTest, LargeFilesWrittenOnTheirOwnThreadAreCompleteAndChecked) {
  // Above the size from which a file's writes go to a thread of their own.
  TempDir dir;
  Extractor extractor(LocalFs::Default(), dir.path(), "b");
  std::string big = testing::RandomBytes(9 << 20, 7);
  std::string other = testing::RandomBytes(5 << 20, 8);
  extractor.Expect("/base/1/16384", Digest::Of(AsBytes(big)).Hex());
  extractor.Expect("/base/1/16385", Digest::Of(AsBytes(big)).Hex());  // not what the tar holds
  Extract(extractor, TarFile("/base/1/16384", big) + TarEnd());
  extractor.FinishDirectories(true);
  EXPECT_EQ(ReadFile(dir.path() / "base/1/16384"), big);
  EXPECT_EQ(extractor.bytes_restored(), big.size());

  Error e = ExpectError([&] { Extract(extractor, TarFile("/base/1/16385", other) + TarEnd()); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find("base/1/16385"), std::string::npos) << e.what();

  // A tar cut inside a large file fails naming the tar, and leaves no thread behind.
  std::string tar = TarFile("/base/1/16386", big);
  e = ExpectError([&] { Extract(extractor, tar.substr(0, 6 << 20)); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find("part_001.tar.lz4"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace walnut
