#include "cli/version.h"

#include <regex>
#include <string>

#include <gtest/gtest.h>

namespace walnut {
namespace {

// WAL-G's line as cobra prints it for a release build: the tag, the short revision, the build
// date (Makefile: date -u +%Y.%m.%d_%H:%M:%S), the database, separated by tabs.
const std::regex kWalGLine(
    R"(wal-g version v\d+\.\d+\.\d+\t([0-9a-f]{7,}|unknown)\t\d{4}\.\d\d\.\d\d_\d\d:\d\d:\d\d\tPostgreSQL)");

TEST(VersionTextTest, CalledAsWalGPrintsWalGsShapeOnOneLine) {
  for (const char* argv0 : {"wal-g", "/usr/local/bin/wal-g", "./build/src/wal-g"}) {
    std::string text = VersionText(argv0);
    EXPECT_TRUE(std::regex_match(text, kWalGLine)) << argv0 << ": " << text;
    EXPECT_EQ(text.find('\n'), std::string::npos);
  }
}

TEST(VersionTextTest, FieldsComeFromTheBuild) {
  std::string text = VersionText("wal-g");
  EXPECT_EQ(text, "wal-g version v" + std::string(BuildVersion()) + "\t" +
                      std::string(BuildRevision()) + "\t" + std::string(BuildDate()) +
                      "\tPostgreSQL");
}

TEST(VersionTextTest, CalledAsWalnutNamesWalnut) {
  for (const char* argv0 : {"walnut", "/usr/local/bin/walnut", "wal-g-wrapper", "xwal-g"}) {
    std::string text = VersionText(argv0);
    EXPECT_TRUE(text.starts_with("walnut version " + std::string(BuildVersion()) + "\t"))
        << argv0 << ": " << text;
    EXPECT_FALSE(std::regex_search(text, std::regex("^wal-g version"))) << text;
  }
}

}  // namespace
}  // namespace walnut
