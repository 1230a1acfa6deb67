#include "drill/scratch_area.h"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "common/error.h"
#include "support/test_util.h"

namespace walnut::drill {
namespace {

namespace fs = std::filesystem;
using walnut::testing::TempDir;
using walnut::testing::WriteFile;

TEST(ScratchAreaTest, ANonEmptyDirIsRefusedAndKept) {
  TempDir dir;
  WriteFile(dir.path() / "precious", "x");
  Error e = walnut::testing::ExpectError([&] { PrepareScratchDir(LocalFs::Default(), dir.str()); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(std::string(e.what()).find("--dir " + dir.str() + " is not empty"), std::string::npos)
      << e.what();
  EXPECT_TRUE(fs::exists(dir.path() / "precious"));
}

TEST(ScratchAreaTest, AMissingDirIsCreatedAndRemovedWithItsContent) {
  TempDir dir;
  const std::string scratch = (dir.path() / "scratch").string();
  EXPECT_EQ(PrepareScratchDir(LocalFs::Default(), scratch), scratch);
  EXPECT_EQ(fs::status(scratch).permissions(), fs::perms::owner_all);
  fs::create_directories(scratch + "/a/b");
  WriteFile(scratch + "/a/b/file", "data");
  // A symlink is removed, never followed.
  fs::create_directories(dir.path() / "outside");
  WriteFile(dir.path() / "outside/keep", "kept");
  fs::create_directory_symlink(dir.path() / "outside", scratch + "/a/link");
  RemoveTree(LocalFs::Default(), scratch);
  EXPECT_FALSE(fs::exists(scratch));
  EXPECT_TRUE(fs::exists(dir.path() / "outside/keep"));
}

TEST(ScratchAreaTest, LineReaderReadsLinesAndTheLastUnterminatedOne) {
  TempDir dir;
  WriteFile(dir.path() / "f", "one\n\nthree\nlast");
  LineReader reader(LocalFs::Default(), (dir.path() / "f").string(), "test");
  std::string line;
  std::vector<std::string> lines;
  while (reader.Next(line)) lines.push_back(line);
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "", "three", "last"}));
}

}  // namespace
}  // namespace walnut::drill
